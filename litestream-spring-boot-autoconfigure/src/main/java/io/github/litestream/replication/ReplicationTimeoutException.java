package io.github.litestream.replication;

import java.time.Duration;

import io.github.litestream.ltx.LtxFileName;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when a commit was not on every replica within the time a caller was willing to
 * wait. The commit itself stands (it is in the local database and is uploaded later as
 * usual); what the caller lacks is the proof that it survives the loss of this machine.
 */
public class ReplicationTimeoutException extends RuntimeException {

	private final String database;

	private final long txid;

	private final @Nullable String replica;

	private final Duration timeout;

	ReplicationTimeoutException(String database, long txid, @Nullable String replica, long replicaTxid,
			@Nullable String why, Duration timeout) {
		super(message(database, txid, replica, replicaTxid, why, timeout));
		this.database = database;
		this.txid = txid;
		this.replica = replica;
		this.timeout = timeout;
	}

	private static String message(String database, long txid, @Nullable String replica, long replicaTxid,
			@Nullable String why, Duration timeout) {
		String wait = "Commit to database '" + database + "' was not replicated within " + timeout + ": ";
		if (replica == null) {
			return wait + "no L0 file was cut since the wait began (the engine's sync loop did not run; is the "
					+ "instance stopping or its sync failing?)" + ((why != null) ? ": " + why : "");
		}
		return wait + "replica '" + replica + "' holds TXID "
				+ ((replicaTxid < 0) ? "(unknown)" : LtxFileName.formatTxid(replicaTxid)) + ", the commit is in TXID "
				+ LtxFileName.formatTxid(txid) + ((why != null) ? " (" + why + ")" : "")
				+ "; the commit stays in the local database and is uploaded once the replica accepts writes";
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String getDatabase() {
		return this.database;
	}

	/**
	 * Returns the TXID waited for.
	 * @return the TXID, or -1 when no L0 file was cut in time
	 */
	public long getTxid() {
		return this.txid;
	}

	/**
	 * Returns the replica that lags.
	 * @return the replica name, or {@code null} when no L0 file was cut in time
	 */
	public @Nullable String getReplica() {
		return this.replica;
	}

	/**
	 * Returns how long the caller waited.
	 * @return the timeout
	 */
	public Duration getTimeout() {
		return this.timeout;
	}

}
