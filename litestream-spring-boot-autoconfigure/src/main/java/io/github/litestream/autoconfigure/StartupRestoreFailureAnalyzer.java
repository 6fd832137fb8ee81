package io.github.litestream.autoconfigure;

import java.nio.file.NoSuchFileException;

import io.github.litestream.jdbc.StartupRestoreException;
import io.github.litestream.ltx.LtxFormatException;
import io.github.litestream.ownership.LeaseUnavailableException;
import io.github.litestream.replica.ReplicaAheadException;
import io.github.litestream.restore.RestoreException;
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
		if (cause.getCause() instanceof LeaseUnavailableException) {
			return new FailureAnalysis(
					sentence(cause.getMessage()) + " The application did not start, because another instance "
							+ "writes the replica and two writers would fork its history.",
					"Stop the other instance (it releases the lease on shutdown), or let it hand over: keep "
							+ "litestream.lease.handover=request (the default) and run a version of the other "
							+ "instance that supports handovers; raise litestream.lease.startup-timeout if it needs "
							+ "longer. An instance killed without releasing is succeeded after litestream.lease.ttl.",
					cause);
		}
		if (cause.getCause() instanceof ReplicaAheadException ahead) {
			return new FailureAnalysis(
					cause.getMessage() + ". The application did not start, because a replica holds a newer state "
							+ "than the database and starting would overwrite it.",
					"Follow the advice above: "
							+ ahead.getMessage().substring(Math.max(0, ahead.getMessage().lastIndexOf(". ") + 2)) + ".",
					cause);
		}
		return new FailureAnalysis(
				sentence(cause.getMessage()) + " The application did not start on an empty database, "
						+ "because the replica may hold data.",
				damaged(cause) ? "The replica's files are damaged or incomplete (see the cause above); the official "
						+ "'litestream restore' reads the same files and fails the same way. Restore from another "
						+ "replica (list it first in litestream.replicas); or, if the damage is in a file newer than "
						+ "a snapshot, restore an earlier TXID with 'litestream restore -txid', move the file to "
						+ cause.getPath() + " and restart; or, to deliberately start with an empty database, move the "
						+ "replica's files away."
						: "Fix access to the replica (see the cause above) and restart; or restore the database with "
								+ "'litestream restore'; or, to deliberately start with an empty database, move the "
								+ "replica's files away (litestream.restore.on-startup=never refuses to start a new "
								+ "database over an existing backup too).",
				cause);
	}

	/**
	 * Whether the restore failed on the content of the replica (a file that fails its
	 * checks, a missing file, a broken chain) rather than on reaching it.
	 */
	private static boolean damaged(StartupRestoreException failure) {
		Throwable deepest = failure;
		for (Throwable cause = failure.getCause(); cause != null && cause != deepest; cause = cause.getCause()) {
			if (cause instanceof LtxFormatException || cause instanceof NoSuchFileException) {
				return true;
			}
			deepest = cause;
		}
		return deepest instanceof RestoreException;
	}

	/**
	 * Ends a message with exactly one full stop.
	 */
	static String sentence(String message) {
		String trimmed = message.strip();
		return (trimmed.endsWith(".") || trimmed.endsWith("!") || trimmed.endsWith("?")) ? trimmed : trimmed + ".";
	}

}
