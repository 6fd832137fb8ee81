package io.github.litestream.restore;

import java.time.Duration;
import java.util.Locale;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log lines of one restore: a start line with the replica, target, files and bytes;
 * progress lines at every tenth of the pages written (only for restores of at least
 * {@value #PROGRESS_MIN_BYTES} bytes, so small restores log two lines) and at least every
 * {@link #PROGRESS_INTERVAL} in between; one summary line. Logged under the
 * {@link Restorer}'s logger.
 */
final class RestoreProgress {

	private static final Logger logger = LoggerFactory.getLogger(Restorer.class);

	/** Longest time between two progress lines of a running restore. */
	static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

	/** Restores at least this large also log at every tenth of their pages. */
	static final long PROGRESS_MIN_BYTES = 32L * 1024 * 1024;

	private final String subject;

	private final String location;

	private final int files;

	private final long bytes;

	private final long started;

	private long lastLine;

	private int lastTenth;

	private RestoreProgress(String subject, String location, int files, long bytes) {
		this.subject = subject;
		this.location = location;
		this.files = files;
		this.bytes = bytes;
		this.started = System.nanoTime();
		this.lastLine = this.started;
	}

	static RestoreProgress start(String subject, String location, @Nullable RestoreTarget target, RestorePlan plan) {
		long bytes = plan.files().stream().mapToLong(LtxFileInfo::size).sum();
		RestoreProgress progress = new RestoreProgress(subject, location, plan.files().size(), bytes);
		logger.info("Restoring {} from {} to {} (TXID {}): {} files, {}", subject, location,
				(target != null) ? target : "the planned state", LtxFileName.formatTxid(plan.txid()),
				plan.files().size(), size(bytes));
		return progress;
	}

	/**
	 * Reports that the first {@code count} files were merged into an intermediate file.
	 */
	void merged(int count) {
		long now = System.nanoTime();
		if (now - this.lastLine >= PROGRESS_INTERVAL.toNanos()) {
			this.lastLine = now;
			logger.info("Restoring {}: merged {} of {} files in {} s", this.subject, count, this.files,
					elapsedSeconds(now));
		}
	}

	/**
	 * Reports that the restore still waits for the download of a planned file.
	 */
	void downloading(LtxFileInfo file, Duration waited) {
		this.lastLine = System.nanoTime();
		logger.info("Restoring {}: downloading level {} file {} ({}) for {} s", this.subject, file.level(),
				file.fileName(), size(file.size()), waited.toSeconds());
	}

	/**
	 * Reports that page {@code pgno} of {@code pageCount} was written.
	 */
	void page(int pgno, int pageCount) {
		if ((pgno & 0xFF) != 0 && pgno != pageCount) {
			return;
		}
		long now = System.nanoTime();
		int tenth = (int) (10L * pgno / Math.max(1, pageCount));
		boolean step = this.bytes >= PROGRESS_MIN_BYTES && tenth > this.lastTenth && tenth < 10;
		if (step || now - this.lastLine >= PROGRESS_INTERVAL.toNanos()) {
			this.lastLine = now;
			this.lastTenth = tenth;
			logger.info("Restoring {}: {}% ({} of {} pages) in {} s", this.subject, 100L * pgno / pageCount, pgno,
					pageCount, elapsedSeconds(now));
		}
	}

	void finished(long txid, int pages, Duration duration) {
		logger.info("Restored {} from {} to TXID {}: {} files, {}, {} pages in {} ms", this.subject, this.location,
				LtxFileName.formatTxid(txid), this.files, size(this.bytes), pages, duration.toMillis());
	}

	private String elapsedSeconds(long now) {
		return String.format(Locale.ROOT, "%.1f", (now - this.started) / 1e9);
	}

	static String size(long bytes) {
		if (bytes < 1024 * 1024) {
			return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
		}
		return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
	}

}
