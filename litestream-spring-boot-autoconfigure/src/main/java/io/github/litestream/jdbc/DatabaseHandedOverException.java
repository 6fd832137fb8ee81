package io.github.litestream.jdbc;

import java.sql.SQLNonTransientConnectionException;

import io.github.litestream.ltx.LtxFileName;

/**
 * A connection was asked of an instance that handed its database over to another instance
 * (a rolling deploy, DESIGN 4.14): that instance serves the database now, so the request
 * must go there. Never retried here: this instance serves the database no more.
 */
public class DatabaseHandedOverException extends SQLNonTransientConnectionException {

	private final String database;

	private final String successor;

	private final long txid;

	/**
	 * Creates an exception.
	 * @param database the database name
	 * @param successor the instance that took it over ({@code host:pid/instance})
	 * @param txid the final TXID this instance handed over
	 */
	public DatabaseHandedOverException(String database, String successor, long txid) {
		super("Database '" + database + "' was handed over to " + successor + " at TXID " + LtxFileName.formatTxid(txid)
				+ "; this instance no longer serves it");
		this.database = database;
		this.successor = successor;
		this.txid = txid;
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String getDatabase() {
		return this.database;
	}

	/**
	 * Returns the instance that took the database over.
	 * @return {@code host:pid/instance}
	 */
	public String getSuccessor() {
		return this.successor;
	}

	/**
	 * Returns the final TXID handed over.
	 * @return the TXID
	 */
	public long getTxid() {
		return this.txid;
	}

}
