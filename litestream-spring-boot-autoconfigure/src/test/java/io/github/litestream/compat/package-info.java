/**
 * Compatibility tests against the official Litestream binaries, in both directions.
 */
@NullMarked
package io.github.litestream.compat;

import org.jspecify.annotations.NullMarked;
