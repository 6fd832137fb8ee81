package io.github.litestream.autoconfigure;

import java.nio.file.Path;

import io.github.litestream.replication.SqliteWalResetBug;

/**
 * The SQLite library at runtime has the WAL-reset corruption bug, and
 * {@code litestream.allow-unsafe-sqlite-version} is not set. Thrown before replication or
 * restore touches any database.
 *
 * @see SqliteWalResetBug
 */
public class UnsafeSqliteVersionException extends RuntimeException {

	private final String version;

	private final String database;

	private final Path path;

	/**
	 * Creates an exception.
	 * @param version the SQLite version found at runtime
	 * @param database the name of the database that would have been replicated
	 * @param path its file
	 */
	public UnsafeSqliteVersionException(String version, String database, Path path) {
		super("SQLite " + version + ", loaded by the sqlite-jdbc driver on the classpath, has the WAL-reset "
				+ "corruption bug; database '" + database + "' (" + path + ") was neither restored nor replicated");
		this.version = version;
		this.database = database;
		this.path = path;
	}

	/**
	 * Returns the SQLite version found at runtime.
	 * @return the version, such as {@code 3.50.3}
	 */
	public String getVersion() {
		return this.version;
	}

	/**
	 * Returns the name of the database that would have been replicated.
	 * @return the DataSource bean name
	 */
	public String getDatabase() {
		return this.database;
	}

	/**
	 * Returns the file of the database that would have been replicated.
	 * @return the path
	 */
	public Path getPath() {
		return this.path;
	}

}
