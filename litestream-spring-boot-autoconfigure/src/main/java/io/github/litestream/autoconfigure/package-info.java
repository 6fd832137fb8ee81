/**
 * Auto-configuration of Litestream replication for SQLite DataSources.
 */
@NullMarked
package io.github.litestream.autoconfigure;

import org.jspecify.annotations.NullMarked;
