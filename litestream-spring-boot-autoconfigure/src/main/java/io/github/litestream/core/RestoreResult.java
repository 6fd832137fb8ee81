package io.github.litestream.core;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The outcome of a restore.
 *
 * @param output the restored database file
 * @param txid the TXID the database was restored to
 * @param timestamp the LTX timestamp of the newest file applied
 * @param fileCount the number of replica files read
 * @param pageCount the database size in pages
 * @param pageSize the page size
 * @param duration how long the restore took
 */
public record RestoreResult(Path output, long txid, Instant timestamp, int fileCount, int pageCount, int pageSize,
		Duration duration) {
}
