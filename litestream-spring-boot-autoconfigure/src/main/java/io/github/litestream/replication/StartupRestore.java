package io.github.litestream.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxTrailer;
import io.github.litestream.replica.LineageStore;
import io.github.litestream.replica.LocalStore;
import io.github.litestream.replica.ReplicaAheadException;
import io.github.litestream.replica.ReplicaAttachment;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestorePlan;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a database to the newest state its replicas hold before the application sees it
 * (DESIGN section 4.13). It considers every replica and takes the one with the highest
 * restorable TXID (on a tie, the first configured):
 * <ul>
 * <li>a missing database is restored from it;</li>
 * <li>an existing database behind it catches up from it when the local state is proven to
 * be a state of the replica's history (the replica restored at the local TXID has exactly
 * the local pages); otherwise nothing is changed and a {@link ReplicaAheadException}
 * names the gap, since either way one side's transactions would be lost;</li>
 * <li>with restores on startup off, a replica ahead of the database (any backup, for a
 * missing database) fails with a {@link ReplicaAheadException}: a new or older database
 * must not silently become the newest state over the backup. A database with no local
 * state that equals the replica's newest state (restored by another tool) is
 * continued.</li>
 * </ul>
 * After a restore the meta directory records the lineage ({@link LineageStore}): the
 * restored TXID and page checksum, and the newest file of every replica that ends in
 * exactly that state, so the engine continues those replicas with deltas, not a full
 * snapshot. Runs before any SQLite connection of this process has the database open.
 */
public final class StartupRestore {

	private static final Logger logger = LoggerFactory.getLogger(StartupRestore.class);

	private final ReplicatorConfig config;

	private final IntegrityCheck integrityCheck;

	private final Restorer restorer;

	/**
	 * Creates a startup restore.
	 * @param config the engine settings (database, meta directory, replicas)
	 * @param integrityCheck the SQLite check run on restored files
	 */
	public StartupRestore(ReplicatorConfig config, IntegrityCheck integrityCheck) {
		this.config = config;
		this.integrityCheck = integrityCheck;
		this.restorer = new Restorer(config.clock(), config.restoreParallelism());
	}

	/**
	 * Brings the database to the newest state of its replicas.
	 * @param restoreAllowed whether a restore may run ({@code false} with
	 * {@code litestream.restore.on-startup=never})
	 * @return the restore that ran, if any
	 * @throws ReplicaAheadException if a replica holds a newer state the database cannot
	 * catch up with
	 * @throws IOException if a replica of a missing database cannot be read or restored
	 */
	public Optional<Outcome> run(boolean restoreAllowed) throws IOException {
		Path database = this.config.databasePath();
		LocalStore store = new LocalStore(this.config.metaDirectory());
		LineageStore lineage = new LineageStore(this.config.metaDirectory());
		// An empty file (a connection opened on a missing database) holds no state.
		boolean exists = Files.exists(database) && Files.size(database) > 0;
		if (!exists && (!store.list().isEmpty() || Files.exists(lineageFile()))) {
			logger.info("Database '{}' ({}) is missing; forgetting the local state of the database it was",
					this.config.name(), database);
			store.clear();
			lineage.reset(null, Map.of());
		}
		List<Candidate> candidates = survey(exists || !restoreAllowed);
		Candidate best = null;
		for (Candidate candidate : candidates) {
			if (best == null || Long.compareUnsigned(candidate.plan().txid(), best.plan().txid()) > 0) {
				best = candidate;
			}
		}
		if (!exists) {
			if (best == null) {
				logger.info("No replica of database '{}' holds a backup; starting with a new database at {}",
						this.config.name(), database);
				return Optional.empty();
			}
			if (!restoreAllowed) {
				throw new ReplicaAheadException("Database '" + this.config.name() + "' (" + database
						+ ") does not exist but replica '" + best.replica().name() + "' ("
						+ best.replica().client().location() + ") holds a backup up to TXID "
						+ LtxFileName.formatTxid(best.plan().txid()) + " (" + best.plan().timestamp()
						+ "); with litestream.restore.on-startup=never a new empty database would replace it as the "
						+ "newest state. Set litestream.restore.on-startup=if-missing to restore it, or move the "
						+ "replica's files away to start a new backup there");
			}
			return restore(best, candidates, "missing");
		}
		long local = localTxid(store, lineage);
		if (best == null || Long.compareUnsigned(best.plan().txid(), local) <= 0) {
			return Optional.empty();
		}
		String gap = "database '" + this.config.name() + "' (" + database + ") is at local TXID "
				+ LtxFileName.formatTxid(local) + " but replica '" + best.replica().name() + "' ("
				+ best.replica().client().location() + ") holds TXID " + LtxFileName.formatTxid(best.plan().txid())
				+ " (" + best.plan().timestamp() + ")";
		String never = "The " + gap + "; with litestream.restore.on-startup=never the database would overwrite "
				+ "that newer state. Set litestream.restore.on-startup=if-missing to catch up from the replica, or "
				+ "move the database file away to restore it";
		if (!restoreAllowed && local != 0) {
			throw new ReplicaAheadException(never);
		}
		// Nothing local is known (restored by another tool?): compared, not restored.
		String disproof = provePrefix(best, local);
		if (disproof != null && !restoreAllowed) {
			throw new ReplicaAheadException(never + " (" + disproof + ")");
		}
		if (disproof != null) {
			throw new ReplicaAheadException("The " + gap + ", and the local database is not a state of the replica's "
					+ "history (" + disproof + "); neither replaces the other automatically, since either way "
					+ "transactions would be lost. Move the database file (and its -wal file) away to restore from "
					+ "the replica on the next start, or move the replica's files away to keep the local database");
		}
		if (local == 0) {
			// The database already is the replica's newest state (restored by another
			// tool): record the lineage, nothing to copy.
			recordLineage(best, candidates, best.plan().txid());
			logger.info("Database '{}' equals the newest state of replica '{}' (TXID {}); continuing it",
					this.config.name(), best.replica().name(), LtxFileName.formatTxid(best.plan().txid()));
			return Optional.empty();
		}
		logger.info(
				"Database '{}' is behind replica '{}' in the same history (local TXID {}, replica TXID {}); "
						+ "catching up from the replica",
				this.config.name(), best.replica().name(), LtxFileName.formatTxid(local),
				LtxFileName.formatTxid(best.plan().txid()));
		return restore(best, candidates, "behind");
	}

	/**
	 * Brings the database of a warm successor (DESIGN 4.16) to the newest state of its
	 * replicas once it holds the leases: the application has it open (connections that
	 * only read, since it is not owned), so the newest state is restored into a file
	 * beside it and copied in through SQLite (every open connection sees it at its next
	 * transaction), the WAL is checkpointed into the file and the lineage recorded, as
	 * after a restore on startup. The local state was proven a state of the replica's
	 * history when it was restored at {@code provenTxid}; any other local TXID is proven
	 * again here.
	 * @param provenTxid the TXID the database was restored or proven at on startup
	 * @return the catch-up, or empty when the database already is the newest state
	 * @throws ReplicaAheadException if the local database is not a state of the replica's
	 * history
	 * @throws IOException if a replica cannot be read or the copy fails; the database is
	 * then unchanged
	 */
	public Optional<Outcome> catchUpLive(long provenTxid) throws IOException {
		List<Candidate> candidates = survey(true);
		Candidate best = null;
		for (Candidate candidate : candidates) {
			if (best == null || Long.compareUnsigned(candidate.plan().txid(), best.plan().txid()) > 0) {
				best = candidate;
			}
		}
		long local = localTxid(new LocalStore(this.config.metaDirectory()),
				new LineageStore(this.config.metaDirectory()));
		if (best == null || Long.compareUnsigned(best.plan().txid(), local) <= 0) {
			return Optional.empty();
		}
		if (local != provenTxid) {
			String disproof = provePrefix(best, local);
			if (disproof != null) {
				throw new ReplicaAheadException("Database '" + this.config.name() + "' is at local TXID "
						+ LtxFileName.formatTxid(local) + " but replica '" + best.replica().name() + "' holds TXID "
						+ LtxFileName.formatTxid(best.plan().txid()) + ", and the local database is not a state of "
						+ "the replica's history (" + disproof + ")");
			}
		}
		Path database = this.config.databasePath();
		Path temp = database.resolveSibling("." + database.getFileName() + "-catchup.db");
		RestoreResult result;
		try {
			Files.deleteIfExists(temp);
			result = this.restorer
				.restore(best.replica().client(), temp,
						RestoreOptions.defaults().withIntegrityCheck(this.integrityCheck))
				.orElseThrow();
			InPlaceRestoreFiles.copyInto(this.config, temp);
		}
		catch (IOException | RuntimeException ex) {
			InPlaceRestoreFiles.deleteTemporaries(this.config, temp, ex);
			throw ex;
		}
		InPlaceRestoreFiles.deleteTemporaries(this.config, temp, null);
		// The lineage's page checksum is read from the database file itself
		String busy = checkpoint(database);
		if (busy != null) {
			throw new RestoreException("Database '" + this.config.name() + "' was brought to TXID "
					+ LtxFileName.formatTxid(result.txid()) + " but its WAL could not be checkpointed: " + busy);
		}
		recordLineage(best, candidates, result.txid());
		return Optional.of(new Outcome(best.replica().name(), best.replica().client().location(), result, true));
	}

	/**
	 * Returns the TXID the local database is at, as its meta directory records it (the
	 * newest staged file, or the restore it came from); after {@link #run(boolean)} this
	 * is the state the database starts from.
	 * @return the TXID, 0 when unknown
	 * @throws IOException if the meta directory cannot be read
	 */
	public long databaseTxid() throws IOException {
		return localTxid(new LocalStore(this.config.metaDirectory()), new LineageStore(this.config.metaDirectory()));
	}

	private Path lineageFile() {
		return this.config.metaDirectory().resolve(LineageStore.FILE_NAME);
	}

	/**
	 * Lists every replica and plans its latest restore. For a missing database to restore
	 * every replica must answer (the newest state cannot be chosen otherwise); otherwise
	 * a replica that cannot be read is left to the engine, which writes nothing to it
	 * before its position is known.
	 */
	private List<Candidate> survey(boolean lenient) throws IOException {
		List<Candidate> candidates = new ArrayList<>();
		for (ReplicaConfig replica : this.config.replicas()) {
			List<LtxFileInfo> files;
			RestorePlan plan;
			try {
				files = RestorePlanner.listAll(replica.client());
				if (files.isEmpty()) {
					continue;
				}
				plan = RestorePlanner.plan(files, RestoreTarget.latest(), replica.client().location());
			}
			catch (IOException ex) {
				if (!lenient) {
					throw new RestoreException("Replica '" + replica.name() + "' (" + replica.client().location()
							+ ") of missing database '" + this.config.name() + "' cannot be read, so the newest "
							+ "backup cannot be chosen: " + ex.getMessage(), ex);
				}
				logger.warn(
						"Replica '{}' ({}) of database '{}' cannot be read on startup ({}); "
								+ "the engine attaches it once it can",
						replica.name(), replica.client().location(), this.config.name(), ex.getMessage());
				continue;
			}
			candidates.add(new Candidate(replica, files, plan));
		}
		return candidates;
	}

	private Optional<Outcome> restore(Candidate source, List<Candidate> candidates, String reason) throws IOException {
		RestoreOptions options = RestoreOptions.defaults().withIntegrityCheck(this.integrityCheck);
		RestoreResult result = this.restorer.restore(source.replica().client(), this.config.databasePath(), options)
			.orElseThrow();
		recordLineage(source, candidates, result.txid());
		return Optional.of(new Outcome(source.replica().name(), source.replica().client().location(), result,
				reason.equals("behind")));
	}

	/**
	 * Records that the database file holds the state of TXID {@code txid} of the source
	 * replica, and which replicas end in exactly that file.
	 */
	private void recordLineage(Candidate source, List<Candidate> candidates, long txid) throws IOException {
		Map<String, LineageStore.Head> heads = new LinkedHashMap<>();
		List<LtxFileInfo> files = RestorePlanner.listAll(source.replica().client());
		LineageStore.Head head = headAt(source, files, txid);
		if (head != null) {
			heads.put(source.replica().client().location(), head);
			for (Candidate other : candidates) {
				long otherMax = ReplicaAttachment.maxTxid(other.files());
				if (other != source && otherMax == txid) {
					LineageStore.Head otherHead = headAt(other, other.files(), txid);
					if (head.equals(otherHead)) {
						heads.put(other.replica().client().location(), otherHead);
					}
				}
				else if (other != source && Long.compareUnsigned(otherMax, txid) < 0) {
					LineageStore.Head prefix = provenPrefix(source, files, other, otherMax);
					if (prefix != null) {
						heads.put(other.replica().client().location(), prefix);
					}
				}
			}
		}
		LineageStore.Baseline baseline = ReplicaAttachment.baselineOf(this.config.databasePath(), txid);
		new LocalStore(this.config.metaDirectory()).clear();
		new LineageStore(this.config.metaDirectory()).reset(baseline, heads);
	}

	/**
	 * A replica behind the restored one is continued only when it is proven a prefix of
	 * the restored history (DESIGN 4.12): its newest file leaves the database in the
	 * state the restored replica holds at that TXID (same checksum after the file).
	 * @return its head, or {@code null} when not proven
	 */
	private static LineageStore.@Nullable Head provenPrefix(Candidate source, List<LtxFileInfo> sourceFiles,
			Candidate stale, long staleMax) throws IOException {
		LtxFileInfo theirs = ReplicaAttachment.smallestEndingAt(stale.files(), staleMax);
		LtxFileInfo ours = ReplicaAttachment.smallestEndingAt(sourceFiles, staleMax);
		if (theirs == null || ours == null) {
			return null;
		}
		LtxTrailer staleTrailer = ReplicaAttachment.trailer(stale.replica().client(), theirs);
		LtxTrailer sourceTrailer = ReplicaAttachment.trailer(source.replica().client(), ours);
		if (staleTrailer.postApplyChecksum() != sourceTrailer.postApplyChecksum()) {
			return null;
		}
		return new LineageStore.Head(theirs.level(), theirs.minTxid(), theirs.maxTxid(), staleTrailer.fileChecksum(),
				staleTrailer.postApplyChecksum());
	}

	private static LineageStore.@Nullable Head headAt(Candidate candidate, List<LtxFileInfo> files, long txid)
			throws IOException {
		if (ReplicaAttachment.maxTxid(files) != txid) {
			return null;
		}
		LtxFileInfo file = ReplicaAttachment.smallestEndingAt(files, txid);
		if (file == null) {
			return null;
		}
		LtxTrailer trailer = ReplicaAttachment.trailer(candidate.replica().client(), file);
		return new LineageStore.Head(file.level(), file.minTxid(), file.maxTxid(), trailer.fileChecksum(),
				trailer.postApplyChecksum());
	}

	/**
	 * The TXID of the newest staged file, or of the restore the database came from.
	 */
	private static long localTxid(LocalStore store, LineageStore lineage) throws IOException {
		long local = 0;
		LtxFileName latest = store.latest();
		if (latest != null) {
			local = latest.maxTxid();
		}
		LineageStore.Baseline baseline = lineage.baseline();
		if (baseline != null && Long.compareUnsigned(baseline.txid(), local) > 0) {
			local = baseline.txid();
		}
		return local;
	}

	/**
	 * Whether the local database is exactly the replica's state at the local TXID (its
	 * newest state when nothing local is known): checkpoints the local WAL, restores the
	 * replica at that TXID into a scratch file and compares the page checksums.
	 * @return {@code null} when proven, otherwise why not
	 */
	private @Nullable String provePrefix(Candidate candidate, long local) throws IOException {
		Path database = this.config.databasePath();
		String busy = checkpoint(database);
		if (busy != null) {
			return busy;
		}
		Path scratch = database.resolveSibling("." + database.getFileName() + "-lineage.db");
		try {
			Files.deleteIfExists(scratch);
			RestoreTarget target = (local == 0) ? RestoreTarget.latest() : RestoreTarget.txid(local);
			try {
				this.restorer.restore(candidate.replica().client(), scratch,
						RestoreOptions.defaults().withTarget(target).withIntegrityCheck(IntegrityCheck.NONE));
			}
			catch (RestoreException ex) {
				return "the replica cannot restore the local TXID exactly: " + ex.getMessage();
			}
			LineageStore.Baseline replica = ReplicaAttachment.baselineOf(scratch, local);
			LineageStore.Baseline mine = ReplicaAttachment.baselineOf(database, local);
			if (replica.pageSize() != mine.pageSize() || replica.pageCount() != mine.pageCount()
					|| replica.checksum() != mine.checksum()) {
				return "the local pages differ from the replica's at TXID " + ((local == 0)
						? LtxFileName.formatTxid(candidate.plan().txid()) : LtxFileName.formatTxid(local))
						+ ": the local database has changes the replica lacks";
			}
			return null;
		}
		finally {
			Files.deleteIfExists(scratch);
			Files.deleteIfExists(scratch.resolveSibling(scratch.getFileName() + "-wal"));
			Files.deleteIfExists(scratch.resolveSibling(scratch.getFileName() + "-shm"));
		}
	}

	/**
	 * Moves every committed WAL frame into the database file so its pages are the whole
	 * local state.
	 */
	private @Nullable String checkpoint(Path database) throws IOException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + database);
				Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA busy_timeout = " + this.config.busyTimeout().toMillis());
			try (ResultSet rs = statement.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
				if (rs.next() && rs.getInt(1) != 0) {
					return "another connection kept the local WAL from being checkpointed";
				}
			}
			return null;
		}
		catch (SQLException ex) {
			throw new IOException(
					"Cannot checkpoint database '" + database + "' to compare it with its replica: " + ex.getMessage(),
					ex);
		}
	}

	/**
	 * A restore on startup.
	 *
	 * @param replica the name of the replica restored from
	 * @param location where it lives
	 * @param result the restore
	 * @param caughtUp whether an existing database was behind the replica (otherwise it
	 * was missing)
	 */
	public record Outcome(String replica, String location, RestoreResult result, boolean caughtUp) {
	}

	private record Candidate(ReplicaConfig replica, List<LtxFileInfo> files, RestorePlan plan) {
	}

}
