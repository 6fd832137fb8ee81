package io.github.litestream.core;

import java.time.Duration;
import java.time.Instant;

/**
 * A file written to a replica.
 *
 * @param level the replica level
 * @param minTxid the first TXID of the file
 * @param maxTxid the last TXID of the file
 * @param size the file size in bytes
 * @param timestamp the LTX header timestamp of the file
 * @param duration how long the upload took
 */
public record UploadResult(int level, long minTxid, long maxTxid, long size, Instant timestamp, Duration duration) {
}
