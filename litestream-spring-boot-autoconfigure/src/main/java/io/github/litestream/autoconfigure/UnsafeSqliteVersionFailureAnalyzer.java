package io.github.litestream.autoconfigure;

import io.github.litestream.replication.SqliteWalResetBug;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a SQLite library with the WAL-reset corruption bug, with the sqlite-jdbc
 * version to use instead. The usual cause is Spring Boot 4.0's dependency management,
 * which chooses sqlite-jdbc 3.50.3.0 without the application pinning anything, so the
 * action names the property that overrides Boot's choice rather than a pin to remove.
 */
class UnsafeSqliteVersionFailureAnalyzer extends AbstractFailureAnalyzer<UnsafeSqliteVersionException> {

	/**
	 * The sqlite-jdbc version the failure analysis recommends: the one README.md and the
	 * guide recommend (a test keeps them equal) and the build tests with, so the advice
	 * names a version known to work rather than merely the first fixed one.
	 */
	static final String RECOMMENDED_SQLITE_JDBC_VERSION = "3.54.1.0";

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, UnsafeSqliteVersionException cause) {
		String recommended = RECOMMENDED_SQLITE_JDBC_VERSION;
		String description = "Litestream replication cannot start: " + cause.getMessage() + ". SQLite "
				+ SqliteWalResetBug.FIRST_AFFECTED_VERSION + " to " + SqliteWalResetBug.LAST_AFFECTED_VERSION
				+ " (except 3.44.6+ and 3.50.7+) can corrupt "
				+ "a database in WAL mode when a checkpoint runs while another connection's commit restarts the "
				+ "WAL, and Litestream checkpoints while the application writes. The bug is fixed in SQLite "
				+ SqliteWalResetBug.FIXED_VERSION + " (" + SqliteWalResetBug.DOCUMENTATION + ").";
		String action = "Use org.xerial:sqlite-jdbc " + recommended + ". Spring Boot's dependency management "
				+ "chooses the version (Boot 4.0 chooses one with the bug); override it with the property "
				+ "sqlite-jdbc.version. Maven, in your pom's <properties>: <sqlite-jdbc.version>" + recommended
				+ "</sqlite-jdbc.version>. Gradle with the dependency-management plugin: ext['sqlite-jdbc.version'] = '"
				+ recommended + "'. If a <dependency> or Gradle dependency names a sqlite-jdbc version of its own, "
				+ "change it to the same. To start anyway, at the risk of a corrupted database, set "
				+ "litestream.allow-unsafe-sqlite-version=true.";
		return new FailureAnalysis(description, action, cause);
	}

}
