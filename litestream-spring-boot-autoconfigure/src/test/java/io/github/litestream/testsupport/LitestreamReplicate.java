package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.wal.WalHeader;
import io.github.litestream.wal.WalSegment;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A running {@code litestream replicate} process for one database and one file replica,
 * started by {@link OfficialLitestream#start}. Its YAML configuration and its log
 * ({@code litestream-replicate-<n>.yml} and {@code .log}) sit beside the database.
 * {@link #close()} stops it with SIGTERM (Litestream then does a final sync), falling
 * back to SIGKILL.
 */
public final class LitestreamReplicate implements AutoCloseable {

	/**
	 * How long {@link #close()} waits after SIGTERM: Litestream's final sync is bounded
	 * by its {@code shutdown-sync-timeout} (30 s by default).
	 */
	public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(40);

	private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

	private static final AtomicInteger STARTED = new AtomicInteger();

	private final Process process;

	private final List<String> command;

	private final Path db;

	private final Path replicaRoot;

	private final FileReplicaClient replica;

	private final FileReplicaClient staging;

	private final Path config;

	private final Path log;

	private LitestreamReplicate(Process process, List<String> command, Path db, Path replicaRoot, Path config,
			Path log) {
		this.process = process;
		this.command = command;
		this.db = db;
		this.replicaRoot = replicaRoot;
		this.replica = new FileReplicaClient(replicaRoot);
		this.staging = ReplicaFiles.staging(db);
		this.config = config;
		this.log = log;
	}

	static LitestreamReplicate start(Path binary, Path db, Path fileReplicaRoot, Map<String, ?> options) {
		Path absoluteDb = db.toAbsolutePath().normalize();
		Path root = fileReplicaRoot.toAbsolutePath().normalize();
		int n = STARTED.incrementAndGet();
		Path config = absoluteDb.resolveSibling("litestream-replicate-" + n + ".yml");
		Path log = absoluteDb.resolveSibling("litestream-replicate-" + n + ".log");
		try {
			Files.writeString(config, LitestreamConfig.yaml(absoluteDb, root, options));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		// -no-expand-env: a '$' in a temporary path must not be taken for a variable.
		List<String> command = List.of(binary.toString(), "replicate", "-no-expand-env", "-config", config.toString());
		return new LitestreamReplicate(Processes.start(command, log), command, absoluteDb, root, config, log);
	}

	/**
	 * The process id.
	 * @return the pid
	 */
	public long pid() {
		return this.process.pid();
	}

	/**
	 * Whether Litestream is still running.
	 * @return {@code true} while the process lives
	 */
	public boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * The replicated database.
	 * @return its absolute path
	 */
	public Path db() {
		return this.db;
	}

	/**
	 * The file replica root.
	 * @return its absolute path
	 */
	public Path replicaRoot() {
		return this.replicaRoot;
	}

	/**
	 * The file replica, read through the production client.
	 * @return a client on {@link #replicaRoot()}
	 */
	public FileReplicaClient replica() {
		return this.replica;
	}

	/**
	 * Litestream's local staging directory ({@code .<db>-litestream}), which holds the L0
	 * files it wrote before uploading them.
	 * @return a client on the staging directory
	 */
	public FileReplicaClient staging() {
		return this.staging;
	}

	/**
	 * The configuration file Litestream runs with.
	 * @return its path
	 */
	public Path config() {
		return this.config;
	}

	/**
	 * Litestream's log (stdout and stderr).
	 * @return its path
	 */
	public Path log() {
		return this.log;
	}

	/**
	 * The last lines of Litestream's log, for assertion messages.
	 * @return the tail of the log
	 */
	public String logTail() {
		return Processes.tail(this.log);
	}

	/**
	 * The highest TXID on the replica, over all levels.
	 * @return the TXID, 0 if the replica is empty
	 */
	public long replicaTxid() {
		return ReplicaFiles.maxTxid(this.replica);
	}

	/**
	 * The highest TXID Litestream has staged locally ({@code .<db>-litestream/ltx/0/}).
	 * @return the TXID, 0 if nothing is staged yet
	 */
	public long localTxid() {
		return ReplicaFiles.list(this.staging, 0).stream().mapToLong(LtxFileInfo::maxTxid).max().orElse(0);
	}

	/**
	 * Whether everything committed to the database has reached the replica.
	 * <p>
	 * Exact, from what Litestream itself records: its newest local L0 file ends where the
	 * last commit frame of the current WAL generation ends ({@code WALOffset + WALSize},
	 * same salts), and the replica holds that file's TXID at some level. Assumes nobody
	 * but Litestream truncates the WAL.
	 * @return {@code true} if the replica is caught up
	 */
	public boolean isCaughtUp() {
		try {
			List<LtxFileInfo> staged = ReplicaFiles.list(this.staging, 0);
			if (staged.isEmpty()) {
				return false;
			}
			LtxFileInfo newest = staged.get(staged.size() - 1);
			if (replicaTxid() < newest.maxTxid()) {
				return false;
			}
			Optional<WalSegment> wal = scanWal();
			if (wal.isEmpty() || wal.get().endOffset() == WalHeader.SIZE) {
				// No committed frame in the current WAL generation: nothing left to ship.
				return true;
			}
			WalHeader walHeader = wal.get().header();
			LtxHeader header = ReplicaFiles.header(this.staging, newest);
			return header.walSalt1() == walHeader.salt1() && header.walSalt2() == walHeader.salt2()
					&& header.walOffset() + header.walSize() == wal.get().endOffset();
		}
		catch (UncheckedIOException ex) {
			// A staged file was removed by L0 retention between listing and reading it.
			return false;
		}
	}

	/**
	 * Waits until {@link #isCaughtUp()}: every commit made so far is on the replica.
	 * @param timeout how long to wait
	 * @return the replica's highest TXID
	 * @throws AssertionError on timeout or if Litestream exits, with its log tail
	 */
	public long awaitCaughtUp(Duration timeout) {
		await("the replica to catch up with " + this.db, timeout, this::isCaughtUp);
		return replicaTxid();
	}

	/**
	 * Waits until the replica's file listing (names, sizes, mtimes) has not changed for
	 * {@code quietFor}: a heuristic for when no exact condition is at hand.
	 * @param quietFor how long the listing must stay unchanged
	 * @param timeout how long to wait overall
	 * @return the listing
	 */
	public List<LtxFileInfo> awaitReplicaQuiet(Duration quietFor, Duration timeout) {
		AtomicReference<List<LtxFileInfo>> last = new AtomicReference<>(ReplicaFiles.list(this.replica));
		AtomicLong changedAt = new AtomicLong(System.nanoTime());
		await("the replica to stay unchanged for " + quietFor, timeout, () -> {
			List<LtxFileInfo> now = ReplicaFiles.list(this.replica);
			if (!now.equals(last.get())) {
				last.set(now);
				changedAt.set(System.nanoTime());
			}
			return System.nanoTime() - changedAt.get() >= quietFor.toNanos();
		});
		return last.get();
	}

	/**
	 * Waits for a log line that contains a match of {@code regex}.
	 * @param regex a regular expression, found anywhere in a line
	 * @param timeout how long to wait
	 * @return the first matching line
	 */
	public String awaitLogLine(String regex, Duration timeout) {
		Pattern pattern = Pattern.compile(regex);
		AtomicReference<@Nullable String> found = new AtomicReference<>();
		await("a log line matching /" + regex + "/", timeout, () -> {
			Processes.read(this.log)
				.lines()
				.filter((line) -> pattern.matcher(line).find())
				.findFirst()
				.ifPresent(found::set);
			return found.get() != null;
		});
		String line = found.get();
		if (line == null) {
			throw new IllegalStateException("Awaited line vanished");
		}
		return line;
	}

	private void await(String what, Duration timeout, Callable<Boolean> condition) {
		try {
			Awaitility.await(what).atMost(timeout).pollDelay(Duration.ZERO).pollInterval(POLL_INTERVAL).until(() -> {
				if (condition.call()) {
					return true;
				}
				if (!this.process.isAlive()) {
					throw new AssertionError("Litestream (pid " + pid() + ") exited with " + this.process.exitValue()
							+ " while waiting for " + what + "; log " + this.log + ":\n" + logTail());
				}
				return false;
			});
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("Timed out after " + timeout + " waiting for " + what + "\n"
					+ ReplicaFiles.describe(this.replica) + "\n" + ReplicaFiles.describe(this.staging)
					+ "\nLitestream log " + this.log + ":\n" + logTail(), ex);
		}
	}

	/**
	 * Kills Litestream with SIGKILL: no final sync.
	 * @return the exit code
	 */
	public int kill() {
		return Processes.kill(this.process);
	}

	/**
	 * Stops Litestream with SIGTERM (it does a final sync and exits 0), falling back to
	 * SIGKILL after {@link #SHUTDOWN_GRACE}.
	 * @return the exit code
	 */
	public int stop() {
		return Processes.terminate(this.process, SHUTDOWN_GRACE);
	}

	/**
	 * Same as {@link #stop()}.
	 */
	@Override
	public void close() {
		stop();
	}

	@Override
	public String toString() {
		return "litestream replicate (pid " + pid() + "): " + Processes.describe(this.command);
	}

	/**
	 * Scans the current WAL generation up to its last valid commit frame, the way
	 * Litestream reads it (salts and cumulative checksums verified).
	 */
	private Optional<WalSegment> scanWal() {
		Path wal = this.db.resolveSibling(this.db.getFileName() + "-wal");
		try (FileChannel channel = FileChannel.open(wal, StandardOpenOption.READ)) {
			Optional<WalHeader> header = WalHeader.read(channel, wal);
			return (header.isPresent()) ? Optional.of(WalSegment.scan(channel, header.get())) : Optional.empty();
		}
		catch (NoSuchFileException ex) {
			// SQLite removes the WAL when the last connection closes.
			return Optional.empty();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
