/**
 * The SQLite DataSource wrapper and the per-database replication runtime it drives.
 */
@NullMarked
package io.github.litestream.jdbc;

import org.jspecify.annotations.NullMarked;
