/**
 * Encodes, decodes and merges LTX v3 files, the replica format of Litestream v0.5.
 */
@NullMarked
package io.github.litestream.ltx;

import org.jspecify.annotations.NullMarked;
