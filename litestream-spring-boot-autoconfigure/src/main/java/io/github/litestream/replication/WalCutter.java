package io.github.litestream.replication;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListSet;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.SyncResult;
import io.github.litestream.ltx.LtxChecksum;
import io.github.litestream.ltx.LtxEncoder;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.replica.LineageStore;
import io.github.litestream.replica.LocalStore;
import io.github.litestream.replica.ReplicaAttachment;
import io.github.litestream.wal.WalFrameHeader;
import io.github.litestream.wal.WalHeader;
import io.github.litestream.wal.WalReader;
import io.github.litestream.wal.WalSegment;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns committed WAL frames into local L0 LTX files, one TXID per cut (DESIGN 4.2-4.3):
 * it owns the WAL cursor, that is the last TXID, the database size it recorded, where in
 * which WAL generation the previous file ended, and the proof that a restarted WAL
 * continues it. It writes a delta only when the WAL provably continues the previous file;
 * otherwise the next file holds every page. At start it recovers the cursor from the
 * newest local file (or the restore baseline). Runs under the replicator's lock; the TXID
 * is read by other threads.
 */
final class WalCutter {

	private static final Logger logger = LoggerFactory.getLogger(WalCutter.class);

	private final ReplicatorConfig config;

	private final String name;

	private final LocalStore store;

	private final LineageStore lineage;

	/** TXIDs of local L0 files that hold every page (usable to seed a replica). */
	private final ConcurrentSkipListSet<Long> fullFiles = new ConcurrentSkipListSet<>();

	private @Nullable EngineConnections connections;

	private @Nullable DatabaseFile databaseFile;

	private int pageSize;

	private volatile long txid;

	private int commit;

	private @Nullable WalPosition position;

	/** Set when a new WAL generation is known to continue {@link #position}. */
	private @Nullable RestartProof restartProof;

	private boolean forceSnapshot;

	WalCutter(ReplicatorConfig config, LocalStore store, LineageStore lineage) {
		this.config = config;
		this.name = config.name();
		this.store = store;
		this.lineage = lineage;
	}

	/**
	 * Gives the cutter the engine's connections and the database file it reads pages
	 * from; the replicator owns both and closes them.
	 */
	void attach(EngineConnections connections, DatabaseFile databaseFile) throws IOException {
		this.connections = connections;
		this.databaseFile = databaseFile;
		this.pageSize = connections.pageSize();
	}

	int pageSize() {
		return this.pageSize;
	}

	long frameSize() {
		return WalHeader.FRAME_HEADER_SIZE + (long) this.pageSize;
	}

	/** The newest local TXID, read by any thread. */
	long txid() {
		return this.txid;
	}

	/** Where the previous file ended in the WAL, or {@code null} when unknown. */
	@Nullable WalPosition position() {
		return this.position;
	}

	/** Frames of the current WAL generation before the position (0 when unknown). */
	long framesBeforePosition() {
		WalPosition current = this.position;
		return (current != null) ? Math.max(0, (current.offset() - WalHeader.SIZE) / frameSize()) : 0;
	}

	boolean isFullFile(long txid) {
		return this.fullFiles.contains(txid);
	}

	/** Forgets that the local file ending at {@code txid} was full (it was pruned). */
	void pruned(long txid) {
		this.fullFiles.remove(txid);
	}

	/** The next file holds every page (a replica must be seeded). */
	void requestSnapshot() {
		this.forceSnapshot = true;
	}

	/**
	 * Continues numbering after a replica found ahead of the local TXID, with a full
	 * snapshot, dropping the local files the replica already numbers differently.
	 * @return whether the replica was ahead
	 */
	boolean adopt(long replicaTxid) throws IOException {
		if (Long.compareUnsigned(replicaTxid, this.txid) <= 0) {
			return false;
		}
		logger.info(
				"Replica of database '{}' is at TXID {}, ahead of the local TXID {}; "
						+ "continuing after it with a full snapshot",
				this.name, LtxFileName.formatTxid(replicaTxid), LtxFileName.formatTxid(this.txid));
		for (LtxFileName file : this.store.list()) {
			this.store.delete(file);
		}
		this.txid = replicaTxid;
		this.forceSnapshot = true;
		return true;
	}

	/**
	 * Continuity with the WAL is no longer proven (the engine's read lock was released
	 * where it should not have been): the next file holds every page.
	 */
	void forgetPosition() {
		this.restartProof = null;
		this.position = null;
	}

	/**
	 * Records what a checkpoint did to the WAL: when it restarted, the next generation
	 * continues the position only if the engine proved that nobody else wrote in between.
	 * @param after the WAL header after the checkpoint, {@code null} for an empty WAL
	 * @param proven whether the engine's restarting write followed the checkpoint with no
	 * other writer in between
	 * @return whether the WAL restarted
	 */
	boolean checkpointed(@Nullable WalHeader after, boolean proven) {
		boolean restarted = after == null || this.position == null || !this.position.sameGeneration(after);
		if (restarted) {
			if (proven) {
				this.restartProof = (after != null) ? RestartProof.of(after) : RestartProof.ANY;
			}
			else {
				this.restartProof = null;
				logger.info("Another connection wrote during the checkpoint of database '{}'; "
						+ "the next file holds every page", this.name);
			}
		}
		return restarted;
	}

	/**
	 * Cuts one L0 file from everything committed since the previous one: a delta when the
	 * WAL provably continues where the previous file ended, otherwise every page. Callers
	 * hold the replicator's lock.
	 * @param snapshotRequested whether to write every page whatever the WAL says
	 * @param started when the cut started ({@link System#nanoTime()})
	 * @return the written file, or {@code null} when nothing was committed
	 * @throws IOException if the WAL could not be read or the file not written
	 */
	@Nullable SyncResult cut(boolean snapshotRequested, long started) throws IOException {
		SyncResult result;
		try (FileChannel wal = openWal()) {
			WalHeader header = (wal != null) ? WalHeader.read(wal).orElse(null) : null;
			boolean snapshot = snapshotRequested || this.forceSnapshot || this.position == null;
			WalSegment segment = null;
			if (!snapshot) {
				WalPosition current = this.position;
				if (header == null) {
					// An empty WAL: nothing new, unless frames we had read are gone.
					if (!current.atStart() && this.restartProof == null) {
						logger.info("WAL of database '{}' was truncated by another connection; "
								+ "the next file holds every page", this.name);
						snapshot = true;
					}
					else {
						return null;
					}
				}
				else if (current.sameGeneration(header)) {
					if (!continues(wal, header, current)) {
						logger.info("WAL of database '{}' was rewritten behind the engine; "
								+ "the next file holds every page", this.name);
						snapshot = true;
					}
					else {
						segment = WalSegment.scan(wal, header, current.offset(), current.checksum1(),
								current.checksum2(), 0);
					}
				}
				else if (this.restartProof != null && this.restartProof.admits(header)) {
					segment = WalSegment.scan(wal, header);
				}
				else {
					logger.info(
							"WAL of database '{}' restarted without the engine (salts {} -> {}); "
									+ "the next file holds every page",
							this.name, salts(current.salt1(), current.salt2()), salts(header.salt1(), header.salt2()));
					snapshot = true;
				}
			}
			if (snapshot) {
				result = writeSnapshot(wal, header, started);
			}
			else {
				if (!segment.hasCommit()) {
					return null;
				}
				result = writeIncremental(wal, header, segment, started);
			}
		}
		return result;
	}

	/**
	 * Whether the frames up to {@code position} are still those the engine read: the file
	 * is long enough and the frame before the position carries the same cumulative
	 * checksum.
	 */
	private boolean continues(FileChannel wal, WalHeader header, WalPosition position) throws IOException {
		if (wal.size() < position.offset()) {
			return false;
		}
		if (position.atStart()) {
			return header.checksum1() == position.checksum1() && header.checksum2() == position.checksum2();
		}
		Optional<WalFrameHeader> previous = WalReader.readFrameHeaderBefore(wal, header, position.offset());
		return previous.isPresent() && previous.get().salt1() == header.salt1()
				&& previous.get().salt2() == header.salt2() && previous.get().checksum1() == position.checksum1()
				&& previous.get().checksum2() == position.checksum2();
	}

	private SyncResult writeIncremental(FileChannel wal, WalHeader header, WalSegment segment, long started)
			throws IOException {
		long next = this.txid + 1;
		int newCommit = segment.commit();
		int previousCommit = this.commit;
		Instant timestamp = this.config.clock().instant();
		LtxHeader ltx = LtxHeader.of(this.pageSize, newCommit, next, next, timestamp.toEpochMilli())
			.withWal(segment.startOffset(), segment.endOffset() - segment.startOffset(), header.salt1(),
					header.salt2());
		int lockPage = LtxChecksum.lockPage(this.pageSize);
		int[] pageCount = new int[1];
		Path file = this.store.write(next, next, (out) -> {
			LtxEncoder encoder = new LtxEncoder(out, ltx, this.config.pageEncoding());
			byte[] page = new byte[this.pageSize];
			// Pages beyond the previous size that the WAL range does not hold come from
			// the
			// database file ("growth pages"), so the replica never misses a page.
			int growth = previousCommit + 1;
			for (int pgno : segment.pages()) {
				for (; growth < pgno && growth <= newCommit; growth++) {
					if (growth != lockPage) {
						this.databaseFile.readPage(growth, this.pageSize, page);
						encoder.writePage(growth, page, 0);
						pageCount[0]++;
					}
				}
				if (growth == pgno) {
					growth++;
				}
				segment.readPage(wal, pgno, page);
				encoder.writePage(pgno, page, 0);
				pageCount[0]++;
			}
			for (; growth <= newCommit; growth++) {
				if (growth != lockPage) {
					this.databaseFile.readPage(growth, this.pageSize, page);
					encoder.writePage(growth, page, 0);
					pageCount[0]++;
				}
			}
			encoder.finish();
		});
		this.txid = next;
		this.commit = newCommit;
		this.position = new WalPosition(header.salt1(), header.salt2(), segment.endOffset(), segment.endChecksum1(),
				segment.endChecksum2());
		this.restartProof = null;
		return new SyncResult(next, pageCount[0], newCommit, Files.size(file), false, timestamp,
				Duration.ofNanos(System.nanoTime() - started));
	}

	/**
	 * Writes an L0 file with every page of the database: the newest committed WAL version
	 * of a page when the current WAL generation has one, else the database file's. The
	 * read transaction the engine holds keeps both consistent: no checkpoint can copy
	 * frames newer than its snapshot into the database file.
	 */
	private SyncResult writeSnapshot(@Nullable FileChannel wal, @Nullable WalHeader header, long started)
			throws IOException {
		if (!this.connections.readLockHeld()) {
			this.connections.acquireReadLock();
		}
		WalSegment segment = (header != null) ? WalSegment.scan(wal, header) : null;
		int newCommit = (segment != null && segment.hasCommit()) ? segment.commit()
				: this.databaseFile.pageCount(this.pageSize);
		long next = this.txid + 1;
		Instant timestamp = this.config.clock().instant();
		LtxHeader ltx = LtxHeader.of(this.pageSize, newCommit, next, next, timestamp.toEpochMilli());
		if (header != null) {
			ltx = ltx.withWal(WalHeader.SIZE, segment.endOffset() - WalHeader.SIZE, header.salt1(), header.salt2());
		}
		LtxHeader fileHeader = ltx;
		int lockPage = LtxChecksum.lockPage(this.pageSize);
		int[] pageCount = new int[1];
		Path file = this.store.write(next, next, (out) -> {
			LtxEncoder encoder = new LtxEncoder(out, fileHeader, this.config.pageEncoding());
			byte[] page = new byte[this.pageSize];
			for (int pgno = 1; pgno <= newCommit; pgno++) {
				if (pgno == lockPage) {
					continue;
				}
				if (segment != null && segment.frameOffset(pgno) >= 0) {
					segment.readPage(wal, pgno, page);
				}
				else {
					this.databaseFile.readPage(pgno, this.pageSize, page);
				}
				encoder.writePage(pgno, page, 0);
				pageCount[0]++;
			}
			encoder.finish();
		});
		this.txid = next;
		this.commit = newCommit;
		this.forceSnapshot = false;
		this.fullFiles.add(next);
		if (header != null) {
			this.position = new WalPosition(header.salt1(), header.salt2(), segment.endOffset(), segment.endChecksum1(),
					segment.endChecksum2());
			this.restartProof = null;
		}
		else {
			// No WAL content: the next generation, whatever its salts, starts after this
			// state, since the read lock stops any checkpoint until the engine reads it.
			this.position = new WalPosition(0, 0, WalHeader.SIZE, 0, 0);
			this.restartProof = RestartProof.ANY;
		}
		return new SyncResult(next, pageCount[0], newCommit, Files.size(file), true, timestamp,
				Duration.ofNanos(System.nanoTime() - started));
	}

	/**
	 * At start: restores the position from the newest local L0 file when the WAL still
	 * proves that it continues; otherwise the next file is a full snapshot.
	 */
	void recover() throws IOException {
		LtxFileName latest = this.store.latest();
		LineageStore.Baseline baseline = this.lineage.baseline();
		if (baseline != null && (latest == null || Long.compareUnsigned(latest.maxTxid(), baseline.txid()) <= 0)) {
			// Files older than a restore belong to the database the restore replaced.
			this.store.clear();
			recoverBaseline(baseline);
			return;
		}
		if (baseline != null) {
			this.lineage.clearBaseline();
		}
		if (latest == null) {
			return;
		}
		LtxHeader header;
		try {
			header = this.store.readHeader(latest);
		}
		catch (IOException ex) {
			logger.warn("Local L0 file {} of database '{}' is unreadable ({}); starting from a full snapshot", latest,
					this.name, ex.getMessage());
			this.store.clear();
			// Numbering goes on after the file: a full file continues any history.
			this.txid = latest.maxTxid();
			this.forceSnapshot = true;
			return;
		}
		if (header.pageSize() != this.pageSize) {
			logger.warn("Local L0 files of database '{}' have page size {} but the database has {}; "
					+ "starting from a full snapshot", this.name, header.pageSize(), this.pageSize);
			this.txid = header.maxTxid();
			this.forceSnapshot = true;
			return;
		}
		this.txid = header.maxTxid();
		this.commit = header.commit();
		this.position = recoverPosition(header);
		if (this.position == null) {
			this.forceSnapshot = true;
		}
		logger.debug("Database '{}' resumes at TXID {} ({})", this.name, LtxFileName.formatTxid(this.txid),
				(this.position != null) ? "WAL continues at offset " + this.position.offset() : "full snapshot next");
	}

	/**
	 * The database was restored to the baseline's TXID and nothing staged since: when its
	 * file still holds exactly the restored pages, every WAL frame came after the
	 * restore, so the engine continues right after that TXID with deltas. Otherwise (a
	 * checkpoint or another process changed the file) the next file, at the next TXID,
	 * holds every page.
	 */
	private void recoverBaseline(LineageStore.Baseline baseline) throws IOException {
		this.txid = baseline.txid();
		int pageCount = (int) (this.databaseFile.size() / this.pageSize);
		boolean same = baseline.pageSize() == this.pageSize && baseline.pageCount() == pageCount
				&& ReplicaAttachment.databaseChecksum(
						(pgno, page) -> this.databaseFile.readPage(pgno, this.pageSize, page), this.pageSize,
						pageCount) == baseline.checksum();
		if (!same) {
			logger.info("Database '{}' changed since it was restored to TXID {}; the next file holds every page",
					this.name, LtxFileName.formatTxid(baseline.txid()));
			this.forceSnapshot = true;
			return;
		}
		this.commit = pageCount;
		try (FileChannel wal = openWal()) {
			WalHeader header = (wal != null) ? WalHeader.read(wal).orElse(null) : null;
			if (header == null || header.pageSize() != this.pageSize) {
				// No WAL content: the read lock keeps any checkpoint from copying frames
				// the engine has not read, so the next generation follows the restore.
				this.position = (header == null) ? new WalPosition(0, 0, WalHeader.SIZE, 0, 0) : null;
				this.restartProof = (header == null) ? RestartProof.ANY : null;
				this.forceSnapshot = header != null;
			}
			else {
				WalReader reader = new WalReader(wal, header);
				this.position = new WalPosition(header.salt1(), header.salt2(), WalHeader.SIZE, reader.checksum1(),
						reader.checksum2());
			}
		}
		logger.info("Database '{}' continues TXID {} it was restored to", this.name,
				LtxFileName.formatTxid(baseline.txid()));
	}

	/**
	 * The database file is new: staged files and recorded heads describe another
	 * database.
	 */
	void forgetLocalHistory() throws IOException {
		if (!this.store.list().isEmpty() || this.lineage.baseline() != null) {
			logger.info("Database '{}' is new; forgetting the local state of the database it replaces", this.name);
		}
		this.store.clear();
		this.lineage.reset(null, Map.of());
	}

	/**
	 * Proves that the WAL still holds, as one valid checksum chain from its header, the
	 * frames the last L0 file was read from, ending with a commit frame exactly where the
	 * file ended.
	 */
	private @Nullable WalPosition recoverPosition(LtxHeader header) throws IOException {
		long end = header.walOffset() + header.walSize();
		if (header.walOffset() == 0 || end < WalHeader.SIZE) {
			return null;
		}
		try (FileChannel wal = openWal()) {
			if (wal == null) {
				return null;
			}
			WalHeader walHeader = WalHeader.read(wal).orElse(null);
			if (walHeader == null || walHeader.salt1() != header.walSalt1() || walHeader.salt2() != header.walSalt2()
					|| walHeader.pageSize() != this.pageSize) {
				return null;
			}
			WalReader reader = new WalReader(wal, walHeader);
			byte[] page = new byte[this.pageSize];
			if (end == WalHeader.SIZE) {
				return new WalPosition(walHeader.salt1(), walHeader.salt2(), end, reader.checksum1(),
						reader.checksum2());
			}
			while (reader.offset() < end) {
				WalFrameHeader frame = reader.next(page);
				if (frame == null) {
					return null;
				}
				if (reader.offset() == end) {
					return frame.isCommit() ? new WalPosition(walHeader.salt1(), walHeader.salt2(), end,
							reader.checksum1(), reader.checksum2()) : null;
				}
			}
			return null;
		}
	}

	@Nullable WalHeader readWalHeader() throws IOException {
		try (FileChannel wal = openWal()) {
			return (wal != null) ? WalHeader.read(wal).orElse(null) : null;
		}
	}

	private @Nullable FileChannel openWal() throws IOException {
		try {
			return FileChannel.open(this.config.walPath(), StandardOpenOption.READ);
		}
		catch (NoSuchFileException ex) {
			return null;
		}
	}

	private static String salts(int salt1, int salt2) {
		return String.format("%08x/%08x", salt1, salt2);
	}

	/**
	 * A WAL generation known to start right after the engine's position: either exactly
	 * the salts seen after the engine's own checkpoint, or any generation when the WAL
	 * was empty while the engine held its read lock.
	 */
	private record RestartProof(boolean any, int salt1, int salt2) {

		static final RestartProof ANY = new RestartProof(true, 0, 0);

		static RestartProof of(WalHeader header) {
			return new RestartProof(false, header.salt1(), header.salt2());
		}

		boolean admits(WalHeader header) {
			return this.any || (header.salt1() == this.salt1 && header.salt2() == this.salt2);
		}

	}

}
