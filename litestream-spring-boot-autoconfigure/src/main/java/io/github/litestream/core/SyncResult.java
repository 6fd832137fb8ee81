package io.github.litestream.core;

import java.time.Duration;
import java.time.Instant;

/**
 * A local L0 file written by one sync.
 *
 * @param txid the TXID of the file
 * @param pageCount the number of pages in the file
 * @param commit the database size in pages after the file
 * @param size the file size in bytes
 * @param snapshot whether the file holds every page because continuity could not be
 * proven (or it is the first file)
 * @param timestamp the LTX header timestamp
 * @param duration how long the sync took
 */
public record SyncResult(long txid, int pageCount, int commit, long size, boolean snapshot, Instant timestamp,
		Duration duration) {
}
