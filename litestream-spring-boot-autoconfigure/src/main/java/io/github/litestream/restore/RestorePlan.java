package io.github.litestream.restore;

import java.time.Instant;
import java.util.List;

import io.github.litestream.storage.LtxFileInfo;

/**
 * The files a restore reads, oldest first: a snapshot, then the files that extend it
 * furthest toward the target.
 *
 * @param files the files to merge, in order
 * @param txid the TXID the restored database will be at
 * @param timestamp the timestamp of the newest file
 */
public record RestorePlan(List<LtxFileInfo> files, long txid, Instant timestamp) {
}
