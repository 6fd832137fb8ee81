package io.github.litestream.replication;

import java.io.IOException;
import java.time.Instant;

import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.replica.LineageStore;
import io.github.litestream.replica.LocalHistory;
import io.github.litestream.replica.LocalStore;
import org.jspecify.annotations.Nullable;

/**
 * The engine as its replicas' uploaders see it: the local LTX history (store, lineage,
 * TXID, full files) and the engine's reactions to what an uploader finds.
 */
final class EngineHistory implements LocalHistory {

	private final Replicator engine;

	private final WalCutter cutter;

	private final LocalStore store;

	private final LineageStore lineage;

	EngineHistory(Replicator engine, WalCutter cutter, LocalStore store, LineageStore lineage) {
		this.engine = engine;
		this.cutter = cutter;
		this.store = store;
		this.lineage = lineage;
	}

	@Override
	public ReplicatorConfig config() {
		return this.engine.config();
	}

	@Override
	public long txid() {
		return this.cutter.txid();
	}

	@Override
	public LocalStore store() {
		return this.store;
	}

	@Override
	public LineageStore lineage() {
		return this.lineage;
	}

	@Override
	public ReplicationListener listener() {
		return this.engine.config().listener();
	}

	@Override
	public boolean isRunning() {
		return this.engine.isRunning();
	}

	@Override
	public boolean acceptsUploads() {
		return this.engine.acceptsUploads();
	}

	@Override
	public boolean isFullFile(long txid) {
		return this.cutter.isFullFile(txid);
	}

	@Override
	public void adoptReplicaPosition(long replicaTxid) throws IOException {
		this.engine.adoptReplicaPosition(replicaTxid);
	}

	@Override
	public void requestFullSnapshot() {
		this.engine.requestFullSnapshot();
	}

	@Override
	public void pruneLocalFiles() {
		this.engine.pruneLocalFiles();
	}

	@Override
	public void wake() {
		this.engine.wake();
	}

	@Override
	public long minSyncIntervalNanos() {
		return this.engine.minSyncIntervalNanos();
	}

	@Override
	public @Nullable Instant oldestMissingChange(long position) {
		return this.engine.oldestMissingChange(position);
	}

}
