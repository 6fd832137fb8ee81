package io.github.litestream.autoconfigure;

import io.github.litestream.core.ReplicaAheadException;
import io.github.litestream.jdbc.StartupRestoreException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a failed restore on startup. The application does not start on an empty
 * database instead: that would start a new history over the backup. Nor does it start on
 * a database behind a replica it cannot catch up with: that would overwrite the replica's
 * newer state.
 */
class StartupRestoreFailureAnalyzer extends AbstractFailureAnalyzer<StartupRestoreException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, StartupRestoreException cause) {
		if (cause.getCause() instanceof ReplicaAheadException ahead) {
			return new FailureAnalysis(
					cause.getMessage() + ". The application did not start, because a replica holds a newer state "
							+ "than the database and starting would overwrite it.",
					"Follow the advice above: "
							+ ahead.getMessage().substring(Math.max(0, ahead.getMessage().lastIndexOf(". ") + 2)) + ".",
					cause);
		}
		return new FailureAnalysis(
				cause.getMessage() + ". The application did not start on an empty database, "
						+ "because the replica may hold data.",
				"Fix access to the replica (see the cause above) and restart; or restore the database with "
						+ "'litestream restore'; or, to deliberately start with an empty database, move the "
						+ "replica's files away (litestream.restore.on-startup=never refuses to start a new "
						+ "database over an existing backup too).",
				cause);
	}

}
