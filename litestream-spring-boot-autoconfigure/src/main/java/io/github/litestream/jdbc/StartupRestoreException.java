package io.github.litestream.jdbc;

import java.nio.file.Path;

/**
 * Restoring a missing database on startup failed although a replica may hold a backup.
 * The application must not start on an empty database then: the backup would be
 * overwritten by a new history.
 */
public class StartupRestoreException extends RuntimeException {

	private final String database;

	private final Path path;

	private final String replica;

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
	 * @return the replica name
	 */
	public String getReplica() {
		return this.replica;
	}

}
