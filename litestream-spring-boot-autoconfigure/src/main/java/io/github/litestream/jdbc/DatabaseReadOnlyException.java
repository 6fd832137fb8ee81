package io.github.litestream.jdbc;

import java.sql.SQLTransientException;

import org.jspecify.annotations.Nullable;

/**
 * A write was refused because this instance does not own its database now (DESIGN 4.14):
 * it cannot renew the lease of a replica (the replica is unreachable, or the process was
 * paused), or it is still taking the leases. Reads go on; writes are acknowledged again
 * once the lease is renewed, or go to the instance that took the database over.
 * Transient: the same request may succeed a little later.
 */
public class DatabaseReadOnlyException extends SQLTransientException {

	private static final long serialVersionUID = 1L;

	private final String database;

	private final String reason;

	/**
	 * Creates an exception.
	 * @param database the database name
	 * @param reason why writes are refused (the replica and its lease)
	 * @param cause what SQLite answered, if the write reached it
	 */
	public DatabaseReadOnlyException(String database, String reason, @Nullable Throwable cause) {
		super("Database '" + database + "' refuses writes: this instance does not hold a valid lease of its replicas ("
				+ reason + "); reads go on, retry the write later", "25006", cause);
		this.database = database;
		this.reason = reason;
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String getDatabase() {
		return this.database;
	}

	/**
	 * Returns why writes are refused.
	 * @return the replica and the state of its lease
	 */
	public String getReason() {
		return this.reason;
	}

}
