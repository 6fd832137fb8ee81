package io.github.litestream.jdbc;

import java.sql.SQLTransientConnectionException;

/**
 * Thrown to a caller of a warm successor (DESIGN 4.16) whose startup is done while it
 * still asks the instance that serves the database to hand it over: that instance answers
 * meanwhile, so the caller is sent there at once rather than kept waiting for a handover
 * that may take a lease renewal to begin, or served the state this instance was restored
 * at. A Spring MVC application answers {@code 503} with {@code Retry-After: 1} and
 * {@code Connection: close}. Once the handover is under way (this instance holds the
 * leases and catches up), callers wait for it instead.
 */
public class DatabaseNotServedYetException extends SQLTransientConnectionException {

	private static final long serialVersionUID = 1L;

	private final String database;

	/**
	 * Creates the exception.
	 * @param database the database name
	 * @param holder what serves the database now, as the ownership says
	 */
	public DatabaseNotServedYetException(String database, String holder) {
		super("Database '" + database + "' is not served by this instance yet (" + holder
				+ "); it takes it over once that instance hands it over: retry against the instance that serves it",
				"08006");
		this.database = database;
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String getDatabase() {
		return this.database;
	}

}
