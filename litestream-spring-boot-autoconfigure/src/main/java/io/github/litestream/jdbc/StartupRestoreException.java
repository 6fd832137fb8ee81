package io.github.litestream.jdbc;

import java.nio.file.Path;

import org.jspecify.annotations.Nullable;

/**
 * Restoring a database on startup failed although a replica may hold a backup, or a
 * replica holds a newer state than the database and the database cannot catch up with it
 * (see {@link io.github.litestream.replication.StartupRestore}). The application must not
 * start then: the backup would be overwritten by a new history or an older state.
 */
public class StartupRestoreException extends RuntimeException {

	private final String database;

	private final Path path;

	private final @Nullable String replica;

	/**
	 * Creates an exception.
	 * @param database the database name
	 * @param path the database file
	 * @param replica the replica that failed
	 * @param cause the failure
	 */
	public StartupRestoreException(String database, Path path, Replica replica, Throwable cause) {
		super("Restoring database '" + database + "' (" + path + ") from replica '" + replica.name() + "' ("
				+ replica.url() + ") failed: " + cause.getMessage(), cause);
		this.database = database;
		this.path = path;
		this.replica = replica.name();
	}

	/**
	 * Creates an exception for a failure that is not one replica's (the message of the
	 * cause names the replicas involved).
	 * @param database the database name
	 * @param path the database file
	 * @param cause the failure
	 */
	public StartupRestoreException(String database, Path path, Throwable cause) {
		super("Restoring database '" + database + "' (" + path + ") on startup failed: " + cause.getMessage(), cause);
		this.database = database;
		this.path = path;
		this.replica = null;
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String getDatabase() {
		return this.database;
	}

	/**
	 * Returns the database file.
	 * @return the path
	 */
	public Path getPath() {
		return this.path;
	}

	/**
	 * Returns the name of the replica that failed.
	 * @return the replica name, or {@code null} when the failure is not one replica's
	 */
	public @Nullable String getReplica() {
		return this.replica;
	}

}
