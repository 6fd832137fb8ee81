package io.github.litestream.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.ownership.LocalState;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;

/**
 * Whether the local database is behind a replica, asked before a restart on the same disk
 * takes its previous run's lease back (DESIGN 4.15): a disk rolled back to an older
 * snapshot, or a replica someone else wrote, is never taken back at once. Every level of
 * every replica is listed (a compacted file may start before the local TXID and end after
 * it), the levels in parallel: this runs in the start of a restarted instance, which the
 * take-back is there to shorten.
 */
final class LocalPositionCheck implements LocalState {

	private final ReplicatorConfig config;

	private final IntegrityCheck integrityCheck;

	LocalPositionCheck(ReplicatorConfig config, IntegrityCheck integrityCheck) {
		this.config = config;
		this.integrityCheck = integrityCheck;
	}

	@Override
	public @Nullable String whyBehind() throws IOException {
		Path database = this.config.databasePath();
		if (!Files.exists(database) || Files.size(database) == 0) {
			return "the database file " + database + " is missing";
		}
		long local = new StartupRestore(this.config, this.integrityCheck).databaseTxid();
		AtomicInteger threads = new AtomicInteger();
		ExecutorService executor = Executors.newFixedThreadPool(LtxFileInfo.MAX_LEVEL + 1, (task) -> {
			Thread thread = new Thread(task,
					"litestream-" + this.config.name() + "-restart-check-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		try {
			for (ReplicaConfig replica : this.config.replicas()) {
				long replicaTxid = maxTxid(replica, executor);
				if (Long.compareUnsigned(replicaTxid, local) > 0) {
					return "replica '" + replica.name() + "' holds TXID " + LtxFileName.formatTxid(replicaTxid)
							+ ", after the local TXID " + LtxFileName.formatTxid(local)
							+ " (the disk is older than the replica)";
				}
			}
			return null;
		}
		finally {
			executor.shutdownNow();
		}
	}

	private static long maxTxid(ReplicaConfig replica, ExecutorService executor) throws IOException {
		List<Future<List<LtxFileInfo>>> levels = new ArrayList<>();
		for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
			int listed = level;
			levels.add(executor.submit(() -> replica.client().listFiles(listed)));
		}
		long max = 0;
		for (Future<List<LtxFileInfo>> level : levels) {
			for (LtxFileInfo file : await(level)) {
				if (Long.compareUnsigned(file.maxTxid(), max) > 0) {
					max = file.maxTxid();
				}
			}
		}
		return max;
	}

	private static List<LtxFileInfo> await(Future<List<LtxFileInfo>> level) throws IOException {
		try {
			// The client's own timeouts and retries bound each listing; this bounds the
			// wait for a client that has none
			return level.get(5, TimeUnit.MINUTES);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof IOException io) {
				throw io;
			}
			throw new IOException("Listing a replica failed: " + ex.getCause(), ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("Interrupted while listing a replica", ex);
		}
		catch (java.util.concurrent.TimeoutException ex) {
			throw new IOException("Listing a replica took longer than 5 minutes", ex);
		}
	}

}
