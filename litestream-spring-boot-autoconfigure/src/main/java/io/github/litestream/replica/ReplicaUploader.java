package io.github.litestream.replica;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.litestream.core.EngineThreads;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.core.UploadResult;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.ltx.LtxTrailer;
import io.github.litestream.ownership.LeaseNotHeldException;
import io.github.litestream.ownership.ReplicaLease;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads a database's local L0 files to one replica, in TXID order, on its own thread. A
 * failed upload is retried with capped exponential backoff; nothing is skipped.
 * <p>
 * Nothing is written before the replica is attached (DESIGN section 4.12): its position
 * is read and {@link ReplicaAttachment} proves that the local database continues it. An
 * empty replica, one that cannot be continued from local files (behind files that were
 * already removed), or one whose history the database does not continue gets a level-9
 * snapshot of a full local file at a TXID above the replica's, a new history. A replica
 * ahead of the local database in a history it does not continue gets nothing.
 */
public final class ReplicaUploader {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaUploader.class);

	/** Most pending files merged into one upload, so open streams stay bounded. */
	static final int MAX_MERGED_FILES = Restorer.MAX_OPEN_FILES;

	private final LocalHistory history;

	private final ReplicaConfig config;

	private final ReplicaClient client;

	/** The replica's known position, its waiters and this uploader's wake-ups. */
	private final ReplicaPosition position = new ReplicaPosition();

	/**
	 * While not {@code -1}: the replica's newest TXID, above which a new history starts
	 * with a full file (the position stays unknown until it is written).
	 */
	private volatile long newHistoryAbove = -1;

	/** Whether a full snapshot was asked for and is not written to the replica yet. */
	private boolean snapshotRequested;

	private volatile @Nullable Instant lastUploadAt;

	private volatile @Nullable String lastError;

	private volatile boolean running;

	private volatile boolean uploading;

	/** Whether the last attach found the replica ahead in another history. */
	private volatile boolean refused;

	private long lastUploadNanos;

	private int failures;

	private @Nullable Thread thread;

	/** Gates every write to the replica (DESIGN 4.14). */
	private ReplicaLease lease;

	/** The lease term under which the position was read. */
	private long attachedTerm;

	/**
	 * Creates the uploader of one replica.
	 * @param history the engine's local history
	 * @param config the replica
	 */
	public ReplicaUploader(LocalHistory history, ReplicaConfig config) {
		this.history = history;
		this.config = config;
		this.client = config.client();
		this.lease = ReplicaLease.disabled(history.config().name(), config.name(), config.client());
	}

	/**
	 * Writes only under the given lease.
	 */
	public void guardedBy(ReplicaLease lease) {
		this.lease = lease;
	}

	/**
	 * Returns the lease that gates this uploader's writes.
	 * @return the lease
	 */
	public ReplicaLease lease() {
		return this.lease;
	}

	/**
	 * Whether the lease lets this uploader write; when it does not, the loop waits and
	 * nothing is sent. A lease acquired anew (another holder may have written meanwhile)
	 * makes the position unknown, so it is read again before the next upload.
	 * @return whether uploads may go ahead now
	 */
	private boolean leaseAllowsUpload() {
		if (!this.lease.mayWrite()) {
			return false;
		}
		long term = this.lease.term();
		if (term != this.attachedTerm) {
			// Attached again: another holder may have written meanwhile.
			this.attachedTerm = term;
			this.newHistoryAbove = -1;
			setPosition(-1);
			return false;
		}
		return true;
	}

	/**
	 * Returns the replica's name.
	 * @return the name
	 */
	public String name() {
		return this.config.name();
	}

	/**
	 * Returns the replica's location, for logs.
	 * @return the location
	 */
	public String location() {
		return this.client.location();
	}

	/**
	 * Returns the replica's sync interval (zero in eager mode).
	 * @return the interval
	 */
	public Duration syncInterval() {
		return this.config.syncInterval();
	}

	/**
	 * Returns the highest TXID the replica is known to hold.
	 * @return the TXID, or -1 while unknown
	 */
	public long position() {
		return this.position.get();
	}

	/**
	 * Whether the replica was refused: it holds a history this database does not provably
	 * continue, so nothing is written to it.
	 */
	public boolean isRefused() {
		return this.refused;
	}

	/**
	 * Whether local files wait for this replica (or it is still uploading one), which may
	 * write it. While the replica is not attached nothing waits for it: local cuts go on.
	 */
	public boolean hasPending() {
		// A replica this engine may not write waits for nothing local: cuts go on
		if (!this.lease.mayWrite()) {
			return false;
		}
		return this.uploading || (this.position.get() >= 0 && this.position.get() < this.history.txid());
	}

	/**
	 * Learns the replica's position; failures are left to the upload thread to retry.
	 */
	public void initialize() {
		try {
			this.attachedTerm = this.lease.term();
			readPosition();
		}
		catch (IOException ex) {
			recordFailure(ex);
		}
	}

	/**
	 * Attaches the replica: reads its position and proves the lineage, or decides on a
	 * new history. Throws while the replica is ahead in a history the database does not
	 * continue, so the run loop reports it and tries again with backoff.
	 */
	private void readPosition() throws IOException {
		List<LtxFileInfo> files = RestorePlanner.listAll(this.client);
		this.refused = false;
		ReplicaAttachment.Proof proof = ReplicaAttachment.prove(this.client, files, this.history.lineage(),
				this.history.store());
		long max = proof.maxTxid();
		String database = this.history.name();
		switch (proof.kind()) {
			case PROVEN -> {
				if (Long.compareUnsigned(max, this.history.txid()) > 0) {
					this.history.adoptReplicaPosition(max);
				}
				this.history.lineage().recordHead(location(), proof.head());
				setPosition(max);
				logger.debug("Replica '{}' of database '{}' continues at TXID {}: {}", name(), database,
						LtxFileName.formatTxid(max), proof.reason());
			}
			case EMPTY -> {
				this.newHistoryAbove = 0;
				logger.info("Replica '{}' ({}) of database '{}' is empty; it starts with a full snapshot", name(),
						location(), database);
			}
			case UNPROVEN -> {
				String other = this.lease.supplantedBy();
				if (other != null) {
					// Whatever the TXIDs say: the other instance's history is the newest
					this.refused = true;
					throw new ReplicaAheadException("Replica '" + name() + "' (" + location() + ") of database '"
							+ database + "' was written by " + other + " after this database last wrote it ("
							+ proof.reason() + "); nothing is written to it, so that instance's state is not "
							+ "overwritten. Restart the application to restore the newest state");
				}
				// Lineage by proof only (DESIGN 4.12): whichever side has the
				// higher TXID, a history this database does not provably continue is
				// never continued nor replaced by it
				this.refused = true;
				throw new ReplicaAheadException("Replica '" + name() + "' (" + location() + ") of database '" + database
						+ "' holds TXID " + LtxFileName.formatTxid(max) + " (the local TXID is "
						+ LtxFileName.formatTxid(this.history.txid()) + ") and " + proof.reason()
						+ "; nothing is written to it, so neither history replaces the other. "
						+ ((Long.compareUnsigned(max, this.history.txid()) > 0)
								? "Restart the application to catch up from the replica "
										+ "(litestream.restore.on-startup=if-missing)"
								: "Move the database file (and its -wal file) away to restore the replica's state "
										+ "on the next start")
						+ ", or move the replica's files away to start a new backup there from this database");
			}
		}
	}

	/**
	 * The TXID after which local files go to the replica, or {@code -1} while unknown.
	 */
	private long uploadedThrough() {
		long current = this.position.get();
		return (current >= 0) ? current : this.newHistoryAbove;
	}

	/**
	 * Starts the upload thread.
	 */
	public void startThread() {
		this.running = true;
		Thread thread = new Thread(this::run, "litestream-" + this.history.name() + "-upload-" + name());
		thread.setDaemon(true);
		this.thread = thread;
		thread.start();
	}

	/**
	 * Stops the upload thread (see {@link io.github.litestream.core.EngineThreads}).
	 */
	public void stopThread() {
		this.running = false;
		wake();
		// An upload still in flight after the shutdown sync timeout is abandoned; its
		// file stays staged for the next start.
		EngineThreads.stop(this.thread, EngineThreads.STOP_GRACE);
	}

	/**
	 * Wakes the upload thread (a file was cut, or the lease changed).
	 */
	public void wake() {
		this.position.wake();
	}

	/**
	 * Waits until the replica holds {@code txid}.
	 * @param txid the TXID
	 * @param deadlineNanos the deadline on {@link System#nanoTime()}
	 * @return whether it did before the deadline
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public boolean awaitPosition(long txid, long deadlineNanos) throws InterruptedException {
		return this.position.awaitAtLeast(txid, deadlineNanos);
	}

	private void setPosition(long txid) {
		this.position.set(txid);
	}

	/**
	 * Returns the replica's status.
	 * @param now the current time, for lag
	 * @return the status
	 */
	public ReplicaStatus status(Instant now) {
		double lag = 0;
		long current = this.position.get();
		// While the replica's position is unknown, every change since start counts.
		Instant oldest = this.history.oldestMissingChange(Math.max(current, 0));
		if (oldest != null) {
			lag = Math.max(0, Duration.between(oldest, now).toNanos() / 1e9);
		}
		return new ReplicaStatus(name(), location(), current, lag, this.lastUploadAt, this.lastError,
				this.lease.status(), attachment(current));
	}

	private String attachment(long current) {
		if (current >= 0) {
			return "ATTACHED";
		}
		if (this.newHistoryAbove >= 0) {
			return "NEW_HISTORY";
		}
		return this.refused ? "REFUSED" : "READING";
	}

	private void run() {
		while (this.running && this.history.acceptsUploads()) {
			try {
				if (uploadedThrough() < 0) {
					readPosition();
					recordSuccess();
					continue;
				}
				long seen = this.position.wakeups();
				if (!leaseAllowsUpload()) {
					if (uploadedThrough() >= 0) {
						this.position.await(TimeUnit.SECONDS.toNanos(1), seen);
					}
					continue;
				}
				if (this.position.get() < 0) {
					// A new history: it waits for a full local file above the replica.
					if (!startNewHistory()) {
						this.position.await(TimeUnit.SECONDS.toNanos(1), seen);
					}
					recordSuccess();
					continue;
				}
				if (uploadedThrough() >= this.history.txid()) {
					this.position.await(TimeUnit.SECONDS.toNanos(1), seen);
					continue;
				}
				// The cut is the cadence (DESIGN 4.11): a replica with the shortest sync
				// interval uploads each file as soon as it is cut. Only a replica with a
				// longer interval than the cut waits, so it uploads several files at
				// once.
				if (syncInterval().toNanos() > this.history.minSyncIntervalNanos()) {
					long wait = this.lastUploadNanos + syncInterval().toNanos() - System.nanoTime();
					if (wait > 0 && this.history.isRunning()) {
						this.position.await(wait, seen);
						continue;
					}
				}
				uploadPending();
				recordSuccess();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			catch (LeaseNotHeldException ex) {
				// The lease was lost between the check and the write: wait for it
				logger.debug("{}", ex.getMessage());
			}
			catch (ForeignFileException ex) {
				this.lease.conflict(ex.getMessage());
				this.lastError = ex.getMessage();
				this.history.listener().onUploadRejected(this.history.name(), name(), ex.getMessage());
			}
			catch (IOException | RuntimeException ex) {
				recordFailure(ex);
				try {
					this.position.backoff(backoffNanos(), () -> this.running);
				}
				catch (InterruptedException ie) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	private long backoffNanos() {
		long initial = this.history.config().retryInitialBackoff().toNanos();
		long max = this.history.config().retryMaxBackoff().toNanos();
		int shift = Math.min(this.failures - 1, 30);
		long backoff = initial << Math.max(shift, 0);
		return (backoff <= 0 || backoff > max) ? max : backoff;
	}

	private void recordSuccess() {
		if (this.lastError != null) {
			logger.info("Replica '{}' of database '{}' recovered after {} failed attempts", name(), this.history.name(),
					this.failures);
		}
		this.failures = 0;
		this.lastError = null;
	}

	private void recordFailure(Exception ex) {
		this.failures++;
		String message = String.valueOf(ex.getMessage());
		// Logged once per state change: the first failure after a success at WARN, later
		// different failures of the same outage only at DEBUG; recordSuccess logs the
		// end.
		if (this.lastError == null) {
			logger.warn("Replica '{}' ({}) of database '{}' failed, retrying with backoff: {}", name(), location(),
					this.history.name(), message);
		}
		else if (!message.equals(this.lastError)) {
			logger.debug("Replica '{}' of database '{}' still failing: {}", name(), this.history.name(), message);
		}
		this.lastError = message;
		this.history.listener().onUploadError(this.history.name(), name(), ex, this.failures);
	}

	/**
	 * Uploads every local file newer than the replica's position, oldest first.
	 */
	private void uploadPending() throws IOException, InterruptedException {
		LocalStore store = this.history.store();
		List<LtxFileName> files = localFilesAfter(this.position.get());
		boolean behind = Long.compareUnsigned(this.position.get(), this.history.txid()) < 0;
		if (files.isEmpty() && !behind) {
			return;
		}
		this.uploading = true;
		try {
			if (files.isEmpty() || files.get(0).minTxid() != this.position.get() + 1) {
				// Behind what the local files hold (a replica proven to be a prefix
				// of the restored history): continued from a full snapshot
				seed(files);
				return;
			}
			List<LtxFileName> run = contiguousRun(files);
			LtxFileName last = run.get(run.size() - 1);
			long checksum;
			if (run.size() == 1) {
				Path path = store.path(last.minTxid(), last.maxTxid());
				upload(0, last, path, last.minTxid());
				checksum = ReplicaAttachment.localFileChecksum(path);
			}
			else {
				checksum = uploadMerged(run);
			}
			this.history.lineage()
				.recordHead(location(), new LineageStore.Head(0, run.get(0).minTxid(), last.maxTxid(), checksum,
						ReplicaAttachment.localPostApplyChecksum(store.path(last.minTxid(), last.maxTxid()))));
			// Healthy again before the new position is visible to waiters.
			recordSuccess();
			setPosition(last.maxTxid());
			this.lastUploadNanos = System.nanoTime();
		}
		finally {
			this.uploading = false;
			this.history.pruneLocalFiles();
			this.history.wake();
		}
	}

	private List<LtxFileName> localFilesAfter(long txid) throws IOException {
		return this.history.store()
			.list()
			.stream()
			.filter((file) -> Long.compareUnsigned(file.maxTxid(), txid) > 0)
			.toList();
	}

	/**
	 * The files that continue the replica's position without a gap, oldest first.
	 */
	private List<LtxFileName> contiguousRun(List<LtxFileName> files) {
		List<LtxFileName> run = new ArrayList<>();
		long next = this.position.get() + 1;
		for (LtxFileName file : files) {
			if (file.minTxid() != next) {
				break;
			}
			run.add(file);
			next = file.maxTxid() + 1;
		}
		return run;
	}

	/**
	 * Uploads several pending L0 files as one L0 file covering their TXID range (DESIGN
	 * section 4.11): a replica that fell behind, during an outage or behind a slow
	 * upload, catches up with one request instead of one per file. The merged file is
	 * written to a scratch file first, so the upload can be retried and its length is
	 * known.
	 * @return the file checksum of the uploaded file
	 */
	private long uploadMerged(List<LtxFileName> run) throws IOException {
		LocalStore store = this.history.store();
		Path merged = store.directory().resolveSibling(".merge-" + name() + ".ltx.tmp");
		try {
			List<Path> inputs = run.stream().map((file) -> store.path(file.minTxid(), file.maxTxid())).toList();
			UploadFiles.merge(inputs, merged, MAX_MERGED_FILES, this.history.config().pageEncoding());
			LtxFileName first = run.get(0);
			upload(0, new LtxFileName(first.minTxid(), run.get(run.size() - 1).maxTxid()), merged, first.minTxid());
			logger.debug("Replica '{}' of database '{}' caught up on {} files with one upload", name(),
					this.history.name(), run.size());
			return ReplicaAttachment.localFileChecksum(merged);
		}
		finally {
			Files.deleteIfExists(merged);
		}
	}

	/**
	 * Starts a new history on the replica from a full local file above its newest TXID,
	 * or asks the engine for one.
	 * @return whether the replica now holds the new history
	 */
	private boolean startNewHistory() throws IOException {
		this.uploading = true;
		boolean seeded = false;
		try {
			seeded = seed(localFilesAfter(this.newHistoryAbove));
			return seeded;
		}
		finally {
			this.uploading = false;
			if (seeded) {
				this.history.pruneLocalFiles();
				this.history.wake();
			}
		}
	}

	/**
	 * Continues a replica that is empty, behind the local files, or starts a new history,
	 * from the newest local file that holds every page: uploaded once, as the level-9
	 * snapshot {@code 1-n}, which restores start from (a level-0 copy would be the same
	 * pages again); level 0 goes on at {@code n + 1}.
	 */
	private boolean seed(List<LtxFileName> files) throws IOException {
		LtxFileName full = null;
		for (LtxFileName file : files) {
			if (this.history.isFullFile(file.maxTxid())) {
				full = file;
			}
		}
		if (full == null) {
			if (this.history.txid() == 0) {
				// The engine's first file holds every page anyway.
				return false;
			}
			if (this.snapshotRequested) {
				this.history.requestFullSnapshot();
				return false;
			}
			this.snapshotRequested = true;
			logger.info(
					"Replica '{}' of database '{}' is at TXID {} and cannot be continued from local files; "
							+ "writing a full snapshot",
					name(), this.history.name(), LtxFileName.formatTxid(uploadedThrough()));
			this.history.requestFullSnapshot();
			return false;
		}
		LocalStore store = this.history.store();
		Path source = store.path(full.minTxid(), full.maxTxid());
		Path snapshot = store.directory().resolveSibling(".seed-" + name() + ".ltx.tmp");
		LtxTrailer written;
		try {
			written = UploadFiles.writeSnapshot(source, snapshot, this.history.config().pageEncoding());
			upload(ReplicationDefaults.SNAPSHOT_LEVEL, new LtxFileName(1, full.maxTxid()), snapshot, 1);
		}
		finally {
			Files.deleteIfExists(snapshot);
		}
		this.history.lineage()
			.recordHead(location(), new LineageStore.Head(ReplicationDefaults.SNAPSHOT_LEVEL, 1, full.maxTxid(),
					written.fileChecksum(), written.postApplyChecksum()));
		recordSuccess();
		this.newHistoryAbove = -1;
		this.snapshotRequested = false;
		setPosition(full.maxTxid());
		this.lastUploadNanos = System.nanoTime();
		return true;
	}

	private void upload(int level, LtxFileName name, Path file, long minTxid) throws IOException {
		long started = System.nanoTime();
		LtxHeader header;
		try (InputStream in = Files.newInputStream(file)) {
			header = LtxHeader.decode(in.readNBytes(LtxHeader.SIZE));
		}
		Instant timestamp = Instant.ofEpochMilli(header.timestamp());
		// One attempt: this loop retries, merged with what was cut meanwhile, where a
		// repeat inside the client would send this file alone once an outage ends.
		LtxFileInfo info = ConditionalUpload.create(this.client, this.lease, level, minTxid, name.maxTxid(), timestamp,
				file, true);
		this.lastUploadAt = this.history.config().clock().instant();
		UploadResult result = new UploadResult(level, minTxid, name.maxTxid(), info.size(), timestamp,
				Duration.ofNanos(System.nanoTime() - started));
		this.history.listener().onUpload(this.history.name(), name(), result);
		logger.debug("Uploaded {}/{} of database '{}' to replica '{}'", level, name, this.history.name(), name());
	}

}
