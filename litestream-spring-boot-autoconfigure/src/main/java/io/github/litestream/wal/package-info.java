/**
 * Reads SQLite write-ahead log files: header, frames, salts, cumulative checksums and
 * commit boundaries.
 */
@NullMarked
package io.github.litestream.wal;

import org.jspecify.annotations.NullMarked;
