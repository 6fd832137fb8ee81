package io.github.litestream.replica;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import io.github.litestream.core.EngineThreads;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.ltx.LtxCompactor;
import io.github.litestream.ltx.LtxDecoder;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.ltx.LtxMerger;
import io.github.litestream.ownership.LeaseNotHeldException;
import io.github.litestream.ownership.ReplicaLease;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestorePlan;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreReservations;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts, snapshots and prunes one replica on its own thread, working only on the
 * replica's files (no database access), with Litestream v0.5's semantics ({@code Store}
 * and {@code Compactor}):
 * <ul>
 * <li>Level {@code n} (1..8) runs every {@code levels[n-1]}, aligned to the wall clock:
 * it merges the level-{@code (n-1)} files that start after the newest level-{@code n}
 * file into one file {@code <min>-<max>}, stamped with the newest input's timestamp.</li>
 * <li>Level 9 runs every snapshot interval and at start when the newest snapshot predates
 * the previous interval boundary: the current latest restore plan, merged into one
 * snapshot {@code 1-<max>}, stamped with the newest input's timestamp, so point-in-time
 * restores see it exactly when they would see its last transaction.</li>
 * <li>After each snapshot pass, snapshots older than the newest one at or before the
 * retention cutoff are removed, so every point inside the retention keeps a base (the
 * newest snapshot is always kept), and so is every file of levels 1..8 that ends below
 * the oldest kept snapshot (the newest file of each level is kept).</li>
 * <li>After each level-1 pass, L0 files that level 1 covers and that are older than the
 * L0 retention are removed (the newest L0 file is kept).</li>
 * </ul>
 * Deletions skip the files a restore in progress in this JVM planned to read
 * ({@link RestoreReservations}). Failures are logged once per change, reported through
 * the listener, and retried at the level's next interval.
 */
public final class ReplicaCompactor {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaCompactor.class);

	/** Most files merged into one compacted file, so open streams stay bounded. */
	static final int MAX_INPUTS = Restorer.MAX_OPEN_FILES;

	/** Longest single wait; the loop re-reads the clock after it. */
	private static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

	private static final int SNAPSHOT_LEVEL = ReplicationDefaults.SNAPSHOT_LEVEL;

	private final String database;

	private final String replica;

	private final ReplicaClient client;

	private final ReplicatorConfig config;

	private final ReplicationListener listener;

	private final RestoreReservations reservations;

	private final Path scratch;

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition wakeup = this.lock.newCondition();

	/** Next due time per level 1..8 and 9 (snapshots). */
	private final Map<Integer, Instant> due = new HashMap<>();

	/** Last failure message per level, so a repeated failure is logged once. */
	private final Map<Integer, String> errors = new HashMap<>();

	/** Uploaded TXID at each level's last successful pass. */
	private final Map<Integer, Long> passedAt = new HashMap<>();

	private final @Nullable LongSupplier uploaded;

	/**
	 * Cleared by {@link #stop()}; set from the start so tests can drive passes directly.
	 */
	private volatile boolean running = true;

	/**
	 * Whether the replica is known to hold a snapshot; until then snapshots are retried.
	 */
	private boolean snapshotted;

	private @Nullable Thread thread;

	/** Gates every write and delete on the replica (DESIGN 4.14). */
	private ReplicaLease lease;

	/**
	 * Creates the compactor of one replica.
	 * @param config the database's settings
	 * @param replica the replica
	 * @param reservations the reservations of running restores
	 */
	public ReplicaCompactor(ReplicatorConfig config, ReplicaConfig replica, RestoreReservations reservations) {
		this(config, replica, reservations, null);
	}

	/**
	 * Creates the compactor of one replica that follows its uploader.
	 * @param config the database's settings
	 * @param replica the replica
	 * @param reservations the reservations of running restores
	 * @param uploaded the TXID the uploader has written to the replica; a level's pass is
	 * skipped while it has not changed since the level's last successful pass, so an idle
	 * database costs no replica operations. {@code null} runs every pass.
	 */
	public ReplicaCompactor(ReplicatorConfig config, ReplicaConfig replica, RestoreReservations reservations,
			@Nullable LongSupplier uploaded) {
		this.uploaded = uploaded;
		this.database = config.name();
		this.replica = replica.name();
		this.client = replica.client();
		this.config = config;
		this.listener = config.listener();
		this.reservations = reservations;
		this.scratch = config.metaDirectory().resolve(".compact-" + replica.name() + ".ltx.tmp");
		this.lease = ReplicaLease.disabled(config.name(), replica.name(), replica.client());
	}

	/**
	 * Writes and deletes only under the given lease.
	 */
	public void guardedBy(ReplicaLease lease) {
		this.lease = lease;
	}

	/**
	 * Starts the compaction thread.
	 */
	public void start() {
		Instant now = this.config.clock().instant();
		for (int level = 1; level <= this.config.levels().size(); level++) {
			this.due.put(level, now);
		}
		this.due.put(SNAPSHOT_LEVEL, now);
		this.running = true;
		Thread thread = new Thread(this::run, "litestream-" + this.database + "-compact-" + this.replica);
		thread.setDaemon(true);
		this.thread = thread;
		thread.start();
	}

	/**
	 * Stops the compaction thread (see {@link io.github.litestream.core.EngineThreads}).
	 */
	public void stop() {
		this.running = false;
		this.lock.lock();
		try {
			this.wakeup.signalAll();
		}
		finally {
			this.lock.unlock();
		}
		// A pass in flight is abandoned: the next pass of the next engine redoes it.
		EngineThreads.stop(this.thread, EngineThreads.STOP_GRACE);
	}

	private void run() {
		while (this.running) {
			Instant now = this.config.clock().instant();
			for (int level = 1; level <= this.config.levels().size() && this.running; level++) {
				if (!now.isBefore(this.due.get(level))) {
					runLevel(level, now);
					this.due.put(level, nextAligned(now, this.config.levels().get(level - 1)));
				}
			}
			if (this.running && !now.isBefore(this.due.get(SNAPSHOT_LEVEL))) {
				runLevel(SNAPSHOT_LEVEL, now);
				// The first snapshot is retried every second until the replica has data.
				this.due.put(SNAPSHOT_LEVEL,
						this.snapshotted ? nextAligned(now, this.config.snapshotInterval()) : now.plusSeconds(1));
			}
			try {
				awaitNext();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private void awaitNext() throws InterruptedException {
		Instant now = this.config.clock().instant();
		Instant next = this.due.values().stream().min(Instant::compareTo).orElse(now);
		long wait = Math.min(MAX_WAIT_NANOS, Math.max(0, Duration.between(now, next).toNanos()));
		this.lock.lock();
		try {
			if (this.running && wait > 0) {
				this.wakeup.awaitNanos(wait);
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	private void runLevel(int level, Instant now) {
		if (!this.lease.mayWrite()) {
			// Not this engine's replica to write now: not even its reads are needed
			return;
		}
		long position = (this.uploaded != null) ? this.uploaded.getAsLong() : Long.MIN_VALUE;
		if (this.uploaded != null && (position <= 0 || this.passedAt.getOrDefault(level, -1L) == position)) {
			return;
		}
		try {
			if (level == SNAPSHOT_LEVEL) {
				snapshot(now);
				enforceSnapshotRetention(now);
			}
			else {
				compact(level);
				if (level == 1) {
					enforceL0Retention(now);
				}
			}
			this.passedAt.put(level, position);
			String previous = this.errors.remove(level);
			if (previous != null) {
				logger.info("Compaction of level {} of replica '{}' of database '{}' recovered", level, this.replica,
						this.database);
			}
		}
		catch (LeaseNotHeldException ex) {
			logger.debug("{}", ex.getMessage());
		}
		catch (ForeignFileException ex) {
			this.lease.conflict(ex.getMessage());
			this.listener.onUploadRejected(this.database, this.replica, ex.getMessage());
		}
		catch (IOException | RuntimeException ex) {
			String message = String.valueOf(ex.getMessage());
			if (!message.equals(this.errors.put(level, message))) {
				logger.warn(
						"Compaction of level {} of replica '{}' ({}) of database '{}' failed, "
								+ "retrying at the next interval: {}",
						level, this.replica, this.client.location(), this.database, message, ex);
			}
			this.listener.onCompactionError(this.database, this.replica, level, ex);
		}
	}

	/**
	 * The first interval boundary after {@code now}, counted from the epoch, so every
	 * process with the same interval compacts at the same moments (Litestream's
	 * {@code NextCompactionAt}).
	 */
	static Instant nextAligned(Instant now, Duration interval) {
		long step = Math.max(1, interval.toMillis());
		long millis = now.toEpochMilli();
		return Instant.ofEpochMilli(Math.floorDiv(millis, step) * step + step);
	}

	static Instant previousAligned(Instant now, Duration interval) {
		long step = Math.max(1, interval.toMillis());
		return Instant.ofEpochMilli(Math.floorDiv(now.toEpochMilli(), step) * step);
	}

	// ---------------------------------------------------------------- compaction

	/**
	 * Merges the files of the level below that start after this level's newest file into
	 * one file per contiguous run (one per pass unless there is a gap), so a level costs
	 * one upload per interval however many files it merges; {@link #merge(List)} keeps
	 * the open inputs bounded.
	 */
	public void compact(int level) throws IOException {
		List<LtxFileInfo> existing = this.client.listFiles(level);
		long after = 0;
		for (LtxFileInfo file : existing) {
			if (Long.compareUnsigned(file.maxTxid(), after) > 0) {
				after = file.maxTxid();
			}
		}
		List<LtxFileInfo> sources = this.client.listFiles(level - 1, after + 1);
		while (!sources.isEmpty() && this.running) {
			List<LtxFileInfo> batch = new ArrayList<>();
			for (LtxFileInfo file : sources) {
				if (!batch.isEmpty() && !LtxMerger.isContiguous(batch.get(batch.size() - 1).maxTxid(), file.minTxid(),
						file.maxTxid())) {
					break;
				}
				batch.add(file);
			}
			write(level, batch);
			sources = sources.subList(batch.size(), sources.size());
		}
	}

	/**
	 * Writes the current latest state as one level-9 snapshot when it is newer than the
	 * newest snapshot and the newest snapshot predates the previous interval boundary.
	 */
	public void snapshot(Instant now) throws IOException {
		if (!this.running) {
			return;
		}
		List<LtxFileInfo> files = RestorePlanner.listAll(this.client);
		if (files.isEmpty()) {
			return;
		}
		RestorePlan plan;
		try {
			plan = RestorePlanner.plan(files, RestoreTarget.latest(), this.client.location());
		}
		catch (RestoreException ex) {
			// Some S3-compatible stores leave long-written files out of a listing taken
			// while other files of the same level are written (S3Proxy's filesystem
			// backend, measured): a plan that fails is made once more from a fresh
			// listing
			files = RestorePlanner.listAll(this.client);
			plan = RestorePlanner.plan(files, RestoreTarget.latest(), this.client.location());
		}
		LtxFileInfo newest = null;
		for (LtxFileInfo file : files) {
			if (file.level() == SNAPSHOT_LEVEL
					&& (newest == null || Long.compareUnsigned(file.maxTxid(), newest.maxTxid()) > 0)) {
				newest = file;
			}
		}
		this.snapshotted |= newest != null;
		if (newest != null && (Long.compareUnsigned(newest.maxTxid(), plan.txid()) >= 0
				|| newest.createdAt().isAfter(previousAligned(now, this.config.snapshotInterval())))) {
			return;
		}
		if (plan.files().size() == 1 && plan.files().get(0).level() == SNAPSHOT_LEVEL) {
			return;
		}
		if (!this.running) {
			return;
		}
		write(SNAPSHOT_LEVEL, plan.files());
		this.snapshotted = true;
	}

	/**
	 * Merges the inputs through a scratch file in the meta directory (so the upload can
	 * be retried and its length is known) and writes it to the replica.
	 */
	private void write(int level, List<LtxFileInfo> inputs) throws IOException {
		long started = System.nanoTime();
		LtxHeader header;
		try {
			header = merge(inputs);
			long min = (level == SNAPSHOT_LEVEL) ? 1 : header.minTxid();
			if (min != header.minTxid()) {
				throw new IOException("Snapshot plan of replica " + this.client.location() + " starts at TXID "
						+ LtxFileName.formatTxid(header.minTxid()) + " instead of 1");
			}
			Instant timestamp = Instant.ofEpochMilli(header.timestamp());
			LtxFileInfo written = ConditionalUpload.create(this.client, this.lease, level, header.minTxid(),
					header.maxTxid(), timestamp, this.scratch);
			Duration took = Duration.ofNanos(System.nanoTime() - started);
			logger.debug("Compacted {} files into level {} {} of replica '{}' of database '{}' in {} ms", inputs.size(),
					level, written.fileName(), this.replica, this.database, took.toMillis());
			this.listener.onCompaction(this.database, this.replica, written, took);
		}
		finally {
			Files.deleteIfExists(this.scratch);
		}
	}

	/**
	 * Merges the inputs into the scratch file, in steps of {@link #MAX_INPUTS} when there
	 * are more, carrying each step's result into the next.
	 */
	private LtxHeader merge(List<LtxFileInfo> inputs) throws IOException {
		Files.createDirectories(this.scratch.getParent());
		List<Path> steps = new ArrayList<>();
		try {
			Path carried = null;
			List<LtxFileInfo> remaining = inputs;
			while (true) {
				int room = MAX_INPUTS - ((carried != null) ? 1 : 0);
				boolean last = remaining.size() <= room;
				List<LtxFileInfo> take = last ? remaining : remaining.subList(0, room);
				Path target = this.scratch;
				if (!last) {
					target = this.scratch.resolveSibling(this.scratch.getFileName() + ".step" + steps.size());
					steps.add(target);
				}
				List<LtxDecoder> decoders = new ArrayList<>();
				LtxHeader header;
				try {
					if (carried != null) {
						decoders.add(new LtxDecoder(new BufferedInputStream(Files.newInputStream(carried), 64 * 1024),
								carried.toString()));
					}
					for (LtxFileInfo file : take) {
						InputStream in = this.client.openFile(file.level(), file.minTxid(), file.maxTxid());
						decoders.add(new LtxDecoder(new BufferedInputStream(in, 64 * 1024),
								this.client.location() + " level " + file.level() + " " + file.fileName()));
					}
					try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 64 * 1024)) {
						header = LtxCompactor.compact(decoders, out, this.config.pageEncoding());
					}
				}
				finally {
					for (LtxDecoder decoder : decoders) {
						try {
							decoder.close();
						}
						catch (IOException ex) {
							// The outcome is decided; closing only releases streams.
						}
					}
				}
				if (carried != null) {
					Files.deleteIfExists(carried);
				}
				if (last) {
					return header;
				}
				carried = target;
				remaining = remaining.subList(take.size(), remaining.size());
			}
		}
		finally {
			for (Path step : steps) {
				Files.deleteIfExists(step);
			}
		}
	}

	// ---------------------------------------------------------------- retention

	/**
	 * Removes snapshots no restore inside the retention needs (every snapshot older than
	 * the newest one at or before the cutoff; the newest snapshot is always kept), then
	 * every file of the lower levels that ends below the oldest kept snapshot, keeping
	 * each level's newest file (Litestream's {@code EnforceSnapshotRetention} and
	 * {@code EnforceRetentionByTXID}).
	 */
	void enforceSnapshotRetention(Instant now) throws IOException {
		List<LtxFileInfo> snapshots = this.client.listFiles(SNAPSHOT_LEVEL);
		if (snapshots.isEmpty()) {
			return;
		}
		Instant cutoff = now.minus(this.config.snapshotRetention());
		List<LtxFileInfo> expired = new ArrayList<>();
		long oldestKept = -1;
		for (int i = 0; i < snapshots.size(); i++) {
			LtxFileInfo snapshot = snapshots.get(i);
			// A snapshot goes only when the next one is also past the cutoff: the newest
			// snapshot before the cutoff is the base of every point just inside the
			// retention, so the whole retention window stays restorable (Litestream drops
			// it, which shortens the window by up to one snapshot interval).
			if (i < snapshots.size() - 1 && !snapshots.get(i + 1).createdAt().isAfter(cutoff)) {
				expired.add(snapshot);
			}
			else if (oldestKept == -1 || Long.compareUnsigned(snapshot.maxTxid(), oldestKept) < 0) {
				oldestKept = snapshot.maxTxid();
			}
		}
		delete(SNAPSHOT_LEVEL, expired);
		// L0 is left to its own retention, which requires level 1 to cover a file first.
		for (int level = 1; level <= this.config.levels().size(); level++) {
			List<LtxFileInfo> files = this.client.listFiles(level);
			List<LtxFileInfo> below = new ArrayList<>();
			for (int i = 0; i < files.size() - 1; i++) {
				if (Long.compareUnsigned(files.get(i).maxTxid(), oldestKept) < 0) {
					below.add(files.get(i));
				}
			}
			delete(level, below);
		}
	}

	/**
	 * Removes L0 files that level 1 covers and that are older than the L0 retention,
	 * oldest first, stopping at the first one still inside it; the newest L0 file is kept
	 * (Litestream's {@code EnforceL0Retention}). A zero retention disables this.
	 */
	void enforceL0Retention(Instant now) throws IOException {
		Duration retention = this.config.l0Retention();
		if (retention.isZero()) {
			return;
		}
		long coveredTo = 0;
		for (LtxFileInfo file : this.client.listFiles(1)) {
			if (Long.compareUnsigned(file.maxTxid(), coveredTo) > 0) {
				coveredTo = file.maxTxid();
			}
		}
		if (coveredTo == 0) {
			return;
		}
		Instant threshold = now.minus(retention);
		List<LtxFileInfo> files = this.client.listFiles(0);
		List<LtxFileInfo> expired = new ArrayList<>();
		for (int i = 0; i < files.size() - 1; i++) {
			LtxFileInfo file = files.get(i);
			if (file.createdAt().isAfter(threshold)) {
				break;
			}
			if (Long.compareUnsigned(file.maxTxid(), coveredTo) <= 0) {
				expired.add(file);
			}
		}
		delete(0, expired);
	}

	private void delete(int level, List<LtxFileInfo> files) throws IOException {
		if (files.isEmpty()) {
			return;
		}
		List<LtxFileInfo> deleted = this.reservations.deleteUnreserved(this.client.location(), files, (batch) -> {
			this.lease.checkWrite("a deletion of " + batch.size() + " files");
			this.client.deleteFiles(batch);
		});
		if (deleted.size() < files.size()) {
			logger.debug("Retention kept {} files of level {} of replica '{}' that a restore in progress reads",
					files.size() - deleted.size(), level, this.replica);
		}
		if (!deleted.isEmpty()) {
			logger.debug("Retention removed {} files of level {} of replica '{}' of database '{}'", deleted.size(),
					level, this.replica, this.database);
			this.listener.onRetention(this.database, this.replica, level, deleted.size());
		}
	}

}
