package io.github.litestream.autoconfigure;

import io.github.litestream.jdbc.StartupRestoreException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a failed restore on startup. The application does not start on an empty
 * database instead: that would start a new history over the backup.
 */
class StartupRestoreFailureAnalyzer extends AbstractFailureAnalyzer<StartupRestoreException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, StartupRestoreException cause) {
		return new FailureAnalysis(
				cause.getMessage() + ". The application did not start on an empty database, "
						+ "because the replica may hold data.",
				"Fix access to the replica (see the cause above) and restart; or restore the database with "
						+ "'litestream restore'; or, to deliberately start with an empty database, set "
						+ "litestream.restore.on-startup=never.",
				cause);
	}

}
