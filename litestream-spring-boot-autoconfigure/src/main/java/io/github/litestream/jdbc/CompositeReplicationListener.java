package io.github.litestream.jdbc;

import java.time.Duration;
import java.util.List;

import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.SyncResult;
import io.github.litestream.core.UploadResult;
import io.github.litestream.ownership.LeaseStatus;
import io.github.litestream.ownership.OwnershipState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ReplicationListener} that forwards every event to listeners set after the
 * engine configuration was built (the listener beans exist only once the context is
 * refreshed). A failing listener is logged and never disturbs the engine.
 */
public final class CompositeReplicationListener implements ReplicationListener {

	private static final Logger logger = LoggerFactory.getLogger(CompositeReplicationListener.class);

	private volatile List<ReplicationListener> delegates = List.of();

	/**
	 * Replaces the listeners that receive events.
	 * @param delegates the listeners, in order
	 */
	public void setDelegates(List<ReplicationListener> delegates) {
		this.delegates = List.copyOf(delegates);
	}

	private void each(java.util.function.Consumer<ReplicationListener> event) {
		for (ReplicationListener delegate : this.delegates) {
			try {
				event.accept(delegate);
			}
			catch (RuntimeException ex) {
				logger.warn("Replication listener {} failed", delegate, ex);
			}
		}
	}

	@Override
	public void onSync(String database, SyncResult sync) {
		each((l) -> l.onSync(database, sync));
	}

	@Override
	public void onSyncError(String database, Throwable error) {
		each((l) -> l.onSyncError(database, error));
	}

	@Override
	public void onCheckpoint(String database, String mode, Duration duration, boolean walRestarted) {
		each((l) -> l.onCheckpoint(database, mode, duration, walRestarted));
	}

	@Override
	public void onCheckpointError(String database, String mode, Throwable error) {
		each((l) -> l.onCheckpointError(database, mode, error));
	}

	@Override
	public void onUpload(String database, String replica, UploadResult upload) {
		each((l) -> l.onUpload(database, replica, upload));
	}

	@Override
	public void onUploadError(String database, String replica, Throwable error, int attempt) {
		each((l) -> l.onUploadError(database, replica, error, attempt));
	}

	@Override
	public void onRestore(String database, RestoreResult result) {
		each((l) -> l.onRestore(database, result));
	}

	@Override
	public void onOwnershipChanged(String database, OwnershipState from, OwnershipState to, String reason) {
		each((l) -> l.onOwnershipChanged(database, from, to, reason));
	}

	@Override
	public void onLeaseAcquired(String database, String replica, LeaseStatus lease) {
		each((l) -> l.onLeaseAcquired(database, replica, lease));
	}

	@Override
	public void onLeaseLost(String database, String replica, String reason) {
		each((l) -> l.onLeaseLost(database, replica, reason));
	}

	@Override
	public void onUploadRejected(String database, String replica, String reason) {
		each((l) -> l.onUploadRejected(database, replica, reason));
	}

	@Override
	public void onHandover(String database, String successor, long txid) {
		each((l) -> l.onHandover(database, successor, txid));
	}

	@Override
	public void onHandoverReverted(String database, String successor, long txid) {
		each((l) -> l.onHandoverReverted(database, successor, txid));
	}

}
