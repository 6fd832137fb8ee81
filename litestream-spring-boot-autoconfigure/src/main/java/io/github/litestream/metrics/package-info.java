/**
 * Micrometer meters for Litestream replication.
 */
@NullMarked
package io.github.litestream.metrics;

import org.jspecify.annotations.NullMarked;
