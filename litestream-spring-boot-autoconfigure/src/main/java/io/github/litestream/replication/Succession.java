package io.github.litestream.replication;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.ownership.OwnershipState;
import io.github.litestream.ownership.Reclaim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a running database passes to another instance and back (DESIGN 4.14-4.16): it hands
 * the database over when asked (drain, final sync, release with the final TXID), stops
 * when another instance took a lease over, and takes the database back when that instance
 * gives it up before writing anything. Each runs on a thread of its own, so the lease
 * thread goes on renewing meanwhile, under the runtime's lock.
 */
final class Succession {

	private static final Logger logger = LoggerFactory.getLogger(Succession.class);

	private final DatabaseRuntime runtime;

	private final ReplicatorConfig config;

	private final DatabaseOwnership ownership;

	private final String name;

	Succession(DatabaseRuntime runtime) {
		this.runtime = runtime;
		this.config = runtime.config;
		this.ownership = runtime.ownership;
		this.name = runtime.config.name();
		this.ownership.onHandoverRequested(this::handoverRequested);
		this.ownership.onSupplanted(this::supplanted);
	}

	private void handoverRequested(String requester) {
		daemon("handover", () -> handOver(requester));
	}

	/**
	 * Hands the database over to the instance that asked for it (DESIGN 4.16): pauses the
	 * gate (transactions in flight finish, new callers wait), syncs until every replica
	 * holds the last commit, then stops the engine and releases the leases with that
	 * final TXID; connections are refused from then on. If a step fails, the gate opens
	 * again, this instance keeps the leases, and the request is passed on again a TTL
	 * later.
	 */
	private void handOver(String requester) {
		this.runtime.lock.lock();
		try {
			if (!this.ownership.state().serves() || this.ownership.state() == OwnershipState.STOPPED) {
				// Already handed over (a request passed on twice), taken over or stopped
				return;
			}
			Replicator current = this.runtime.current();
			ConnectionGate gate = this.runtime.gate();
			if (current == null || !current.isRunning() || this.runtime.isStopping() || gate == null) {
				logger.info("Database '{}' cannot hand over to {} now ({}); asked again later", this.name, requester,
						(current == null || !current.isRunning()) ? "replication is not running"
								: (gate == null) ? "no DataSource to pause" : "stopping");
				this.ownership.declineHandover();
				return;
			}
			if (!this.ownership.beginHandover(requester)) {
				logger.info("Database '{}' cannot hand over to {} while it is {} ({}); asked again later", this.name,
						requester, this.ownership.state(), this.ownership.whyNotWritable());
				this.ownership.declineHandover();
				return;
			}
			long started = System.nanoTime();
			try {
				gate.pause(this.runtime.drainTimeout);
			}
			catch (TimeoutException ex) {
				logger.warn("Database '{}' could not hand over to {}: {}", this.name, requester, ex.getMessage());
				this.ownership.handoverFailed(ex.getMessage());
				return;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				this.ownership.handoverFailed("interrupted");
				return;
			}
			try {
				syncAndRelease(current, gate, requester, started);
			}
			finally {
				// After a handover the ownership refuses every caller, paused or not
				gate.resume();
			}
		}
		finally {
			this.runtime.lock.unlock();
		}
	}

	private void syncAndRelease(Replicator current, ConnectionGate gate, String requester, long started) {
		boolean handedOver = false;
		try {
			long txid = current.sync();
			if (!current.awaitReplicated(txid, this.config.shutdownSyncTimeout())) {
				String why = "not every replica holds TXID " + LtxFileName.formatTxid(txid) + " after "
						+ this.config.shutdownSyncTimeout();
				logger.warn("Database '{}' could not hand over to {}: {}", this.name, requester, why);
				this.ownership.handoverFailed(why);
				return;
			}
			if (!this.ownership.stillRequested(requester)) {
				String why = requester + " no longer asks for it (it gave up waiting)";
				logger.info("Database '{}' does not hand over: {}", this.name, why);
				this.ownership.handoverFailed(why);
				return;
			}
			current.stop(true);
			this.runtime.retire(current);
			Long stoppedAt = current.finalTxid();
			long finalTxid = (stoppedAt != null) ? stoppedAt : txid;
			this.ownership.handedOver(requester, finalTxid);
			handedOver = true;
			gate.ownershipChanged();
			logger.info("Database '{}' handed over to {} at TXID {}; writes were paused for {} ms", this.name,
					requester, LtxFileName.formatTxid(finalTxid),
					TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
			this.config.listener().onHandover(this.name, requester, finalTxid);
			watchForReclaim(finalTxid, requester);
		}
		catch (IOException | RuntimeException | InterruptedException ex) {
			if (ex instanceof InterruptedException) {
				Thread.currentThread().interrupt();
			}
			logger.warn("Database '{}' could not hand over to {}: {}", this.name, requester, ex.getMessage());
			if (!handedOver) {
				this.ownership.handoverFailed(String.valueOf(ex.getMessage()));
			}
		}
	}

	/**
	 * Another instance held a lease after this one (it took over while this instance was
	 * paused or cut off from the replica): it serves the database now, and anything
	 * written here would be lost. The ownership is {@code SUPPLANTED} already, so no
	 * connection is handed out; this stops the engine without a final upload (it may not
	 * write the replica), and takes the database back only if that instance gives it up
	 * without writing.
	 */
	private void supplanted(String holder) {
		this.runtime.signalGate();
		daemon("supplanted", () -> {
			this.runtime.lock.lock();
			try {
				Replicator current = this.runtime.current();
				if (this.runtime.isStopping() || current == null) {
					return;
				}
				long replicated = Math.max(current.replicatedTxid(), 0);
				current.stop();
				this.runtime.retire(current);
				logger.error(
						"Database '{}' is served by {} now: it took the replica's lease over while this "
								+ "instance could not renew it. This instance stops serving the database; writes it "
								+ "acknowledged after TXID {} are not on the replica",
						this.name, holder, LtxFileName.formatTxid(replicated));
				this.config.listener().onHandover(this.name, holder, replicated);
				watchForReclaim(replicated, holder);
			}
			finally {
				this.runtime.lock.unlock();
			}
		});
	}

	/**
	 * Watches, after a handover, whether the successor gives the database up before it
	 * wrote anything (it failed to start: a failed migration, a port in use): then this
	 * instance takes it back and serves again, rather than leaving nobody serving. Stops
	 * once a replica moved past the final TXID.
	 */
	private void watchForReclaim(long txid, String successor) {
		daemon("reclaim", () -> {
			// Often: clients get 503s until the database is served again
			long interval = Math.max(100, this.config.lease().renewInterval().toMillis() / 5);
			while (!this.runtime.isStopping()) {
				try {
					Thread.sleep(interval);
					if (reclaim(txid, successor)) {
						return;
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				catch (IOException | RuntimeException ex) {
					logger.debug("Database '{}' could not check whether its successor gave it up: {}", this.name,
							ex.getMessage());
				}
			}
		});
	}

	/**
	 * @return whether watching can stop: taken back, or the successor wrote
	 */
	private boolean reclaim(long txid, String successor) throws IOException, InterruptedException {
		if (this.runtime.isStopping()) {
			return true;
		}
		// Outside the lock: taking the leases may wait up to a renew interval
		Reclaim outcome = this.ownership.reclaim(txid, (after) -> Replicator.movedPast(this.config, after));
		if (outcome == Reclaim.MOVED_ON) {
			logger.info("Database '{}' is served by {} now (its replicas moved past TXID {})", this.name, successor,
					LtxFileName.formatTxid(txid));
			return true;
		}
		if (outcome == Reclaim.BUSY) {
			return false;
		}
		this.runtime.lock.lock();
		try {
			if (this.runtime.isStopping()) {
				this.ownership.stop(null);
				return true;
			}
			try {
				this.runtime.replace(this.runtime.startReplicator());
			}
			catch (IOException | RuntimeException ex) {
				this.ownership.stop(null);
				throw ex;
			}
			this.ownership.reclaimed(
					successor + " gave the database up without writing after TXID " + LtxFileName.formatTxid(txid));
			this.runtime.signalGate();
			logger.warn(
					"Database '{}' was taken back: {} gave it up without writing after TXID {} (did it fail to "
							+ "start?); this instance serves it again",
					this.name, successor, LtxFileName.formatTxid(txid));
			this.config.listener().onHandoverReverted(this.name, successor, txid);
			return true;
		}
		finally {
			this.runtime.lock.unlock();
		}
	}

	private void daemon(String role, Runnable task) {
		Thread thread = new Thread(task, "litestream-" + this.name + "-" + role);
		thread.setDaemon(true);
		thread.start();
	}

}
