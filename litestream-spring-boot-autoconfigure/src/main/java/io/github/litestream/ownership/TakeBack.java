package io.github.litestream.ownership;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision of one replica's lease, after a restart on the same disk, to take back a
 * live-looking lease at once instead of waiting for it to expire (DESIGN 4.15). Only a
 * lease that names the instance recorded in the meta directory qualifies, and only when
 * every proof holds:
 * <ul>
 * <li>the previous run is gone: this process took the meta directory's lock, on the
 * machine and in the boot the record names ({@link SameDiskRestart#refusal()});</li>
 * <li>the lease was written from this machine: its owner's host is this host;</li>
 * <li>the local database is at or past the replica: nobody else wrote it since (a disk
 * rolled back to an older snapshot is behind, and must not take a lease from the replica
 * it would then diverge from).</li>
 * </ul>
 * Another instance's lease, or a newer generation someone else wrote, names another
 * instance and never qualifies. The take-back itself is a conditional write on the exact
 * version of the lease that was read, like every acquisition.
 */
final class TakeBack {

	private static final Logger logger = LoggerFactory.getLogger(TakeBack.class);

	private static final long PREFETCH_TIMEOUT_MINUTES = 5;

	private final String database;

	private final String replica;

	private final SameDiskRestart restart;

	private final LocalState local;

	/** Once refused for a lease of the recorded instance, refused for good. */
	private volatile boolean refused;

	TakeBack(String database, String replica, SameDiskRestart restart, LocalState local) {
		this.database = database;
		this.replica = replica;
		this.restart = restart;
		this.local = local;
	}

	/**
	 * Whether the lease {@code other} may be taken at once. Says once why not, when it is
	 * this instance's previous run's.
	 * @param other the lease in the replica, held and not expired
	 * @param me this run
	 * @return whether to take it now
	 */
	boolean allows(LeaseRecord other, ReplicaLease.Identity me) {
		String recorded = this.restart.recordedInstance();
		if (this.refused || recorded == null || !recorded.equals(other.instance())) {
			return false;
		}
		String why = this.restart.refusal();
		if (why == null && !me.host().equals(ReplicaLease.Identity.hostOf(other.owner()))) {
			why = "it was written by " + other.owner() + ", on another host";
		}
		if (why == null) {
			try {
				why = this.local.whyBehind();
			}
			catch (IOException | RuntimeException ex) {
				// Asked again at the next attempt; the lease waits meanwhile
				logger.debug("Database '{}' cannot compare its local state with its replicas yet: {}", this.database,
						ex.getMessage());
				return false;
			}
		}
		if (why != null) {
			this.refused = true;
			logger.info(
					"The lease of replica '{}' of database '{}' (generation {}) names the run recorded on this "
							+ "disk, but it is not taken back at once: {}; waiting for it like any other instance",
					this.replica, this.database, other.generation(), why);
			return false;
		}
		return true;
	}

	/**
	 * Lets every lease of a restarted run take its previous run's lease back when this
	 * proves it safe; the local state is compared once, while the leases are read.
	 * @param database the database name
	 * @param replicas the replicas, in the engine's order
	 * @param leases their leases
	 * @param restart the meta directory's lock and record
	 * @param local tells whether the local database is behind a replica
	 */
	static void install(String database, List<DatabaseOwnership.Replica> replicas, List<ReplicaLease> leases,
			SameDiskRestart restart, LocalState local) {
		LocalState checked = (restart.recordedInstance() != null && restart.refusal() == null)
				? prefetch(database, local) : local;
		for (int i = 0; i < leases.size(); i++) {
			leases.get(i).takeBack(new TakeBack(database, replicas.get(i).name(), restart, checked));
		}
	}

	/**
	 * Starts comparing the local database with the replicas now, on a thread of its own,
	 * so that the listing overlaps the start's first lease reads: a proof that precedes
	 * the read of a lease still holds when that lease names the recorded run, since only
	 * that run, gone, could have written the replica meanwhile.
	 * @param database the database name, for the thread
	 * @param local the comparison
	 * @return the comparison, answered by the prefetch (or, if it failed, asked again)
	 */
	static LocalState prefetch(String database, LocalState local) {
		CompletableFuture<@Nullable String> result = new CompletableFuture<>();
		Thread thread = new Thread(() -> {
			try {
				result.complete(local.whyBehind());
			}
			catch (IOException | RuntimeException ex) {
				result.completeExceptionally(ex);
			}
		}, "litestream-" + database + "-restart-check");
		thread.setDaemon(true);
		thread.start();
		return () -> {
			try {
				// The replica client's own timeouts bound the listing; this bounds the
				// wait for one that has none
				return result.get(PREFETCH_TIMEOUT_MINUTES, TimeUnit.MINUTES);
			}
			catch (TimeoutException ex) {
				throw new IOException("Comparing the local database with its replicas took longer than "
						+ PREFETCH_TIMEOUT_MINUTES + " minutes", ex);
			}
			catch (ExecutionException ex) {
				// Failed: asked again, at this attempt
				return local.whyBehind();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IOException("Interrupted while comparing the local database with its replicas", ex);
			}
		};
	}

}
