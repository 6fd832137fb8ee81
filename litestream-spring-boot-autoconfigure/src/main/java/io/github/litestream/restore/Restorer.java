package io.github.litestream.restore;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.github.litestream.core.LocalFiles;
import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.ltx.LtxChecksum;
import io.github.litestream.ltx.LtxCompactor;
import io.github.litestream.ltx.LtxDecoder;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.ltx.LtxMerger;
import io.github.litestream.ltx.PageEncoding;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a database from a replica (DESIGN section 4.9): plan, merge every planned file
 * in one streaming pass into {@code <output>.tmp}, verify every file checksum, optionally
 * run SQLite's integrity check, fsync, remove a stale {@code -wal}/{@code -shm} and
 * rename into place. A missing or corrupt file fails the restore and leaves the output
 * untouched.
 */
public final class Restorer {

	private static final Logger logger = LoggerFactory.getLogger(Restorer.class);

	/**
	 * Most files merged in one pass; longer plans are merged in steps through temporary
	 * LTX files so the number of open streams stays bounded. Each open stream from an S3
	 * replica holds a pooled HTTP connection (the AWS SDK pools 50), and compaction
	 * merges share the uploader's client: a merge wider than the pool waited forever for
	 * a connection and stalled uploads (measured in eager mode).
	 */
	public static final int MAX_OPEN_FILES = 16;

	private final Clock clock;

	private final int parallelism;

	private final RestoreReservations reservations;

	/**
	 * Creates a restorer that times itself with the system clock.
	 */
	public Restorer() {
		this(Clock.systemUTC());
	}

	/**
	 * Creates a restorer that downloads {@link ReplicationDefaults#RESTORE_PARALLELISM}
	 * files at a time.
	 * @param clock the clock
	 */
	public Restorer(Clock clock) {
		this(clock, ReplicationDefaults.RESTORE_PARALLELISM);
	}

	/**
	 * Creates a restorer.
	 * @param clock the clock
	 * @param parallelism how many planned files are downloaded at the same time (1
	 * streams them one after the other straight into the merge)
	 */
	public Restorer(Clock clock, int parallelism) {
		this(clock, parallelism, RestoreReservations.jvm());
	}

	/**
	 * Creates a restorer that registers its plans with the given reservations.
	 * @param clock the clock
	 * @param parallelism how many planned files are downloaded at the same time
	 * @param reservations the reservations that keep planned files from compaction's
	 * retention
	 */
	public Restorer(Clock clock, int parallelism, RestoreReservations reservations) {
		if (parallelism < 1) {
			throw new IllegalArgumentException(
					"litestream.restore.parallelism must be at least 1, was '" + parallelism + "'");
		}
		this.clock = clock;
		this.parallelism = parallelism;
		this.reservations = reservations;
	}

	/**
	 * Restores a database.
	 * <p>
	 * Retention in this JVM does not delete the files the restore planned until it ends.
	 * When a planned file vanishes anyway (retention run by another process), the restore
	 * plans once more and restores the new plan; it never settles for an older state than
	 * the first plan reached.
	 * @param client the replica to read
	 * @param output the database file to create or replace
	 * @param options the target and conditions
	 * @return the result, or empty when a condition skipped the restore
	 * @throws IOException if the restore fails; the output is then untouched
	 */
	public Optional<RestoreResult> restore(ReplicaClient client, Path output, RestoreOptions options)
			throws IOException {
		if (options.ifDbNotExists() && Files.exists(output)) {
			logger.info("Database {} exists; skipping restore", output);
			return Optional.empty();
		}
		PreparedRestore prepared;
		try {
			prepared = prepare(client, options.target());
		}
		catch (NoBackupException ex) {
			if (options.ifReplicaExists()) {
				logger.info("Replica {} holds no backup; skipping restore of {}", client.location(), output);
				return Optional.empty();
			}
			throw ex;
		}
		try (prepared) {
			return Optional.of(restore(prepared, output, options.integrityCheck(), output.toString()));
		}
	}

	/**
	 * Lists a replica and plans a restore, reserving the planned files against retention
	 * in this JVM until the returned restore is closed. Nothing is downloaded or written.
	 * @param client the replica to read
	 * @param target what to restore
	 * @return the planned restore; close it when done
	 * @throws NoBackupException if the replica holds no backup
	 * @throws RestoreTargetException if the target is outside what the replica can
	 * restore
	 * @throws IOException if listing fails or the files do not form a restorable chain
	 */
	public PreparedRestore prepare(ReplicaClient client, RestoreTarget target) throws IOException {
		RestoreReservations.Reservation reservation = this.reservations.begin(client.location());
		try {
			RestorePlan plan = RestorePlanner.plan(RestorePlanner.listAll(client), target, client.location());
			reservation.plan(plan.files());
			return new PreparedRestore(client, target, plan, reservation);
		}
		catch (IOException | RuntimeException ex) {
			reservation.close();
			throw ex;
		}
	}

	/**
	 * Executes a prepared restore. When a planned file vanishes anyway (retention run by
	 * another process), the restore plans once more and restores the new plan; it never
	 * settles for an older state than the first plan reached.
	 * @param prepared the planned restore, still open
	 * @param output the database file to create or replace
	 * @param integrityCheck the SQLite check to run before the rename
	 * @param subject what is restored, for the log lines (the output path, or a database
	 * name)
	 * @return the result
	 * @throws IOException if the restore fails; the output is then untouched
	 */
	public RestoreResult restore(PreparedRestore prepared, Path output, IntegrityCheck integrityCheck, String subject)
			throws IOException {
		ReplicaClient client = prepared.client();
		RestorePlan plan = prepared.plan();
		try {
			return restore(client, plan, output, integrityCheck, prepared.target(), subject);
		}
		catch (RestoreException ex) {
			NoSuchFileException vanished = vanished(ex);
			if (vanished == null) {
				throw ex;
			}
			logger.info("File {} planned for the restore of {} vanished (retention in another process?); "
					+ "planning again", vanished.getMessage(), subject);
			prepared.reservation().replan();
			RestorePlan again = RestorePlanner.plan(RestorePlanner.listAll(client), prepared.target(),
					client.location());
			if (Long.compareUnsigned(again.txid(), plan.txid()) < 0) {
				throw new RestoreException("Restore of " + subject + " from " + client.location() + " planned TXID "
						+ LtxFileName.formatTxid(plan.txid()) + " but after file " + vanished.getMessage()
						+ " vanished only TXID " + LtxFileName.formatTxid(again.txid())
						+ " is restorable; the database file was not changed", ex);
			}
			prepared.replanned(again);
			return restore(client, again, output, integrityCheck, prepared.target(), subject);
		}
	}

	private static @Nullable NoSuchFileException vanished(Throwable error) {
		for (Throwable cause = error; cause != null; cause = cause.getCause()) {
			if (cause instanceof NoSuchFileException missing) {
				return missing;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return null;
	}

	/**
	 * Executes a plan.
	 * @param client the replica to read
	 * @param plan the files to merge
	 * @param output the database file to create or replace
	 * @param integrityCheck the SQLite check to run before the rename
	 * @return the result
	 * @throws IOException if the restore fails; the output is then untouched
	 */
	public RestoreResult restore(ReplicaClient client, RestorePlan plan, Path output, IntegrityCheck integrityCheck)
			throws IOException {
		return restore(client, plan, output, integrityCheck, null, output.toString());
	}

	private RestoreResult restore(ReplicaClient client, RestorePlan plan, Path output, IntegrityCheck integrityCheck,
			@Nullable RestoreTarget restoreTarget, String subject) throws IOException {
		long started = System.nanoTime();
		RestoreProgress progress = RestoreProgress.start(subject, client.location(), restoreTarget, plan);
		Path target = output.toAbsolutePath();
		Path parent = target.getParent();
		Files.createDirectories(parent);
		Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
		List<Path> intermediates = new ArrayList<>();
		PlannedFileFetcher fetcher = null;
		try {
			fetcher = new PlannedFileFetcher(client, plan.files(), this.parallelism, parent,
					"." + target.getFileName());
			int fetched = 0;
			List<LtxFileInfo> remaining = new ArrayList<>(plan.files());
			Path carried = null;
			// Long plans merge in steps so the number of open streams stays bounded.
			while (remaining.size() + ((carried != null) ? 1 : 0) > MAX_OPEN_FILES) {
				int take = MAX_OPEN_FILES - ((carried != null) ? 1 : 0);
				List<LtxDecoder> inputs = new ArrayList<>();
				Path next = target.resolveSibling(target.getFileName() + ".merge-" + intermediates.size() + ".tmp");
				intermediates.add(next);
				try {
					if (carried != null) {
						inputs.add(open(carried));
					}
					for (int i = 0; i < take; i++) {
						inputs.add(fetcher.open(fetched++, progress::downloading));
					}
					try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(next), 64 * 1024)) {
						LtxCompactor.compact(inputs, out, PageEncoding.BLOCK);
					}
				}
				finally {
					closeAll(inputs);
				}
				remaining = new ArrayList<>(remaining.subList(take, remaining.size()));
				carried = next;
				progress.merged(fetched);
			}
			List<LtxDecoder> inputs = new ArrayList<>();
			LtxHeader header;
			int pages;
			try {
				if (carried != null) {
					inputs.add(open(carried));
				}
				for (int i = 0; i < remaining.size(); i++) {
					inputs.add(fetcher.open(fetched++, progress::downloading));
				}
				try (LtxMerger merger = new LtxMerger(inputs)) {
					header = merger.header();
					if (!header.isSnapshot()) {
						throw new RestoreException(
								"Restore plan does not start with a snapshot (first file covers TXID "
										+ header.minTxid() + "); the replica " + client.location() + " is incomplete");
					}
					pages = writeDatabase(merger, header, tmp, progress);
					merger.finish();
				}
			}
			finally {
				closeAll(inputs);
			}
			if (integrityCheck != IntegrityCheck.NONE) {
				checkIntegrity(tmp, integrityCheck);
			}
			// A stale WAL next to the new file would be applied on top of it.
			Files.deleteIfExists(target.resolveSibling(target.getFileName() + "-wal"));
			Files.deleteIfExists(target.resolveSibling(target.getFileName() + "-shm"));
			Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			LocalFiles.fsyncDirectory(parent);
			RestoreResult result = new RestoreResult(target, plan.txid(), plan.timestamp(), plan.files().size(),
					header.commit(), header.pageSize(), Duration.ofNanos(System.nanoTime() - started));
			progress.finished(plan.txid(), pages, result.duration());
			return result;
		}
		catch (IOException | RuntimeException ex) {
			IOException failure = (ex instanceof RestoreException restoreFailure) ? restoreFailure
					: new RestoreException("Restore of " + subject + " from " + client.location() + " failed: "
							+ withoutFullStop(ex.getMessage()) + "; the database file was not changed", ex);
			deleteQuietly(tmp, failure);
			throw failure;
		}
		finally {
			if (fetcher != null) {
				fetcher.close();
			}
			for (Path intermediate : intermediates) {
				deleteQuietly(intermediate, null);
			}
		}
	}

	/**
	 * Deletes a temporary file; a failure to delete never replaces the restore's outcome
	 * (it is added to the failure, or logged after a success).
	 */
	private static void deleteQuietly(Path file, @Nullable Throwable outcome) {
		try {
			Files.deleteIfExists(file);
		}
		catch (IOException ex) {
			if (outcome != null) {
				outcome.addSuppressed(ex);
			}
			else {
				logger.warn("Could not delete the temporary restore file {}: {}", file, ex.toString());
			}
		}
	}

	private static String withoutFullStop(@Nullable String message) {
		String text = String.valueOf(message).strip();
		return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
	}

	/**
	 * Writes the merged pages into a new file, checking that every page from 1 to the
	 * commit size arrives (the lock page stays zero).
	 */
	private static int writeDatabase(LtxMerger merger, LtxHeader header, Path tmp, RestoreProgress progress)
			throws IOException {
		int pageSize = header.pageSize();
		int lockPage = LtxChecksum.lockPage(pageSize);
		byte[] page = new byte[pageSize];
		int expected = 1;
		int written = 0;
		try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
				StandardOpenOption.TRUNCATE_EXISTING)) {
			for (int pgno = merger.nextPage(page); pgno != 0; pgno = merger.nextPage(page)) {
				if (expected == lockPage) {
					expected++;
				}
				if (pgno != expected) {
					throw new RestoreException("Restore is missing page " + expected + " (next page in the files is "
							+ pgno + "); the backup is incomplete");
				}
				ByteBuffer buffer = ByteBuffer.wrap(page, 0, pageSize);
				long position = (long) (pgno - 1) * pageSize;
				while (buffer.hasRemaining()) {
					channel.write(buffer, position + buffer.position());
				}
				expected++;
				written++;
				progress.page(pgno, header.commit());
			}
			if (expected == lockPage && lockPage <= header.commit()) {
				expected++;
			}
			if (expected != header.commit() + 1) {
				throw new RestoreException("Restore ended at page " + (expected - 1) + " but the database has "
						+ header.commit() + " pages; the backup is incomplete");
			}
			channel.truncate((long) header.commit() * pageSize);
			channel.force(true);
		}
		return written;
	}

	private static void checkIntegrity(Path file, IntegrityCheck check) throws IOException {
		String pragma = (check == IntegrityCheck.FULL) ? "integrity_check" : "quick_check";
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA " + pragma)) {
			List<String> problems = new ArrayList<>();
			while (rs.next()) {
				String line = rs.getString(1);
				if (!"ok".equals(line)) {
					problems.add(line);
				}
			}
			if (!problems.isEmpty()) {
				throw new RestoreException(
						"Restored database fails PRAGMA " + pragma + ": " + String.join("; ", problems));
			}
		}
		catch (SQLException ex) {
			throw new RestoreException(
					"Restored database cannot be checked with PRAGMA " + pragma + ": " + ex.getMessage(), ex);
		}
	}

	private static LtxDecoder open(Path file) throws IOException {
		return new LtxDecoder(new BufferedInputStream(Files.newInputStream(file), 64 * 1024), file.toString());
	}

	private static void closeAll(List<LtxDecoder> decoders) {
		for (LtxDecoder decoder : decoders) {
			try {
				decoder.close();
			}
			catch (IOException ex) {
				// Closing inputs after the outcome is decided.
			}
		}
	}

	Instant now() {
		return this.clock.instant();
	}

}
