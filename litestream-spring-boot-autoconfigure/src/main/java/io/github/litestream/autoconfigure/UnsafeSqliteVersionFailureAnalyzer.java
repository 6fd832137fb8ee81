package io.github.litestream.autoconfigure;

import io.github.litestream.replication.SqliteWalResetBug;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a SQLite library with the WAL-reset corruption bug, with the sqlite-jdbc
 * version to use instead.
 */
class UnsafeSqliteVersionFailureAnalyzer extends AbstractFailureAnalyzer<UnsafeSqliteVersionException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, UnsafeSqliteVersionException cause) {
		String fixed = SqliteWalResetBug.FIXED_SQLITE_JDBC_VERSION;
		String description = "Litestream replication cannot start: " + cause.getMessage() + ". SQLite "
				+ SqliteWalResetBug.FIRST_AFFECTED_VERSION + " to " + SqliteWalResetBug.LAST_AFFECTED_VERSION
				+ " (except 3.44.6+ and 3.50.7+) can corrupt "
				+ "a database in WAL mode when a checkpoint runs while another connection's commit restarts the "
				+ "WAL, and Litestream checkpoints while the application writes. The bug is fixed in SQLite "
				+ SqliteWalResetBug.FIXED_VERSION + " (" + SqliteWalResetBug.DOCUMENTATION + ").";
		String action = "Use org.xerial:sqlite-jdbc " + fixed + " or newer: remove the dependency or version "
				+ "property that pins an older sqlite-jdbc, or pin a fixed one. Maven: <dependency><groupId>"
				+ "org.xerial</groupId><artifactId>sqlite-jdbc</artifactId><version>" + fixed
				+ "</version></dependency>. Gradle: implementation 'org.xerial:sqlite-jdbc:" + fixed
				+ "'. To start anyway, at the risk of a corrupted database, set "
				+ "litestream.allow-unsafe-sqlite-version=true.";
		return new FailureAnalysis(description, action, cause);
	}

}
