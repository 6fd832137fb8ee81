package io.github.litestream.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * moto's server ({@code moto[server]} from PyPI, Apache-2.0) in a child process on a free
 * loopback port: a second S3 implementation, written independently of S3Proxy, so that a
 * behaviour only one of them accepts is noticed.
 * <p>
 * Installed on first use, as the official Litestream binary is (see
 * {@link OfficialLitestream}): {@code python3 -m pip install --target} into
 * {@code <cache>/moto-<version>}, where {@code <cache>} is {@code litestream.toolsDir}
 * (the build sets {@code <repo>/.tools}); the version is {@value #VERSION}, or the system
 * property {@code litestream.moto.version}. Without pip or PyPI the tests that use it
 * fail with the command and its output.
 * <p>
 * Measured with moto 5.2.5: any credentials are accepted (no SigV4 check);
 * {@code If-None-Match: *} and a stale {@code If-Match} on {@code PutObject} answer 412;
 * SSE-KMS and SSE-C headers are accepted and stored, but SSE-C is not enforced (a
 * {@code GetObject} without the key, or with another key, returns the object); storage
 * classes are stored. S3Proxy 4.0.0, in contrast, answers 501 NotImplemented to any
 * server-side encryption header.
 */
public final class MotoServer implements S3Server {

	/**
	 * The moto version installed unless {@code litestream.moto.version} says otherwise.
	 */
	public static final String VERSION = "5.2.5";

	private static final String REGION = "us-east-1";

	private static final String ACCESS_KEY = "litestream-moto-access";

	private static final String SECRET_KEY = "litestream-moto-secret";

	private static final Duration PIP_TIMEOUT = Duration.ofMinutes(10);

	private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

	private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

	private static final int START_ATTEMPTS = 3;

	private final Process process;

	private final URI endpoint;

	private final Path log;

	private final String version;

	private final Thread shutdownHook;

	private volatile @Nullable S3Client client;

	private MotoServer(Process process, URI endpoint, Path log, String version) {
		this.process = process;
		this.endpoint = endpoint;
		this.log = log;
		this.version = version;
		this.shutdownHook = new Thread(process::destroyForcibly, "moto-shutdown");
		Runtime.getRuntime().addShutdownHook(this.shutdownHook);
	}

	/**
	 * Installs moto if needed, starts its server and waits until it answers.
	 * @return the running server
	 * @throws IllegalStateException if it cannot be installed or does not start
	 */
	public static MotoServer start() {
		String version = System.getProperty("litestream.moto.version", VERSION);
		Path home = install(version);
		Path logs;
		try {
			logs = Files.createTempDirectory("litestream-moto-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		IllegalStateException failure = null;
		for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
			try {
				return startOnFreePort(home, logs.resolve("moto-" + attempt + ".log"), version);
			}
			catch (IllegalStateException ex) {
				failure = ex;
			}
		}
		throw failure;
	}

	private static String python() {
		return System.getProperty("litestream.python", "python3");
	}

	/**
	 * Installs {@code moto[server]} into {@code <cache>/moto-<version>} unless present.
	 */
	static Path install(String version) {
		Path home = OfficialLitestream.cacheDir().resolve("moto-" + version);
		if (Files.isRegularFile(home.resolve("moto/server.py"))) {
			return home;
		}
		Path staged = null;
		try {
			Files.createDirectories(home.getParent());
			staged = Files.createTempDirectory(home.getParent(), ".moto-" + UUID.randomUUID());
			List<String> pip = List.of(python(), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
					"--quiet", "--target", staged.toString(), "moto[server]==" + version);
			Path log = Files.createTempFile("litestream-moto-pip-", ".log");
			ProcessResult result = Processes.run(pip, log, PIP_TIMEOUT);
			if (!result.succeeded() || !Files.isRegularFile(staged.resolve("moto/server.py"))) {
				throw new IllegalStateException("Installing moto " + version + " failed: '" + Processes.describe(pip)
						+ "' exited with " + result.exitCode() + ". Output:\n" + result.output().strip()
						+ "\nThe S3 tests need python3 with pip (Debian: apt-get install python3-pip) and access "
						+ "to PyPI.");
			}
			try {
				Files.move(staged, home, StandardCopyOption.ATOMIC_MOVE);
			}
			catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException ex) {
				// Another JVM installed it meanwhile
			}
			catch (AtomicMoveNotSupportedException ex) {
				throw new IllegalStateException("Cannot rename " + staged + " to " + home + " atomically", ex);
			}
			return home;
		}
		catch (IOException ex) {
			throw new IllegalStateException("Installing moto " + version + " into " + home + " failed: " + ex, ex);
		}
		finally {
			OfficialLitestream.deleteQuietly(staged);
		}
	}

	private static MotoServer startOnFreePort(Path home, Path log, String version) {
		int port = LoopbackPorts.free();
		URI endpoint = URI.create("http://127.0.0.1:" + port);
		List<String> command = List.of(python(), "-m", "moto.server", "-H", "127.0.0.1", "-p", String.valueOf(port));
		ProcessBuilder builder = new ProcessBuilder(command)
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
		builder.environment().put("PYTHONPATH", home.toString());
		builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
		Process process;
		try {
			process = builder.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not start '" + Processes.describe(command) + "': " + ex, ex);
		}
		try {
			awaitReady(process, endpoint, log);
		}
		catch (RuntimeException ex) {
			process.destroyForcibly();
			Processes.waitFor(process, STOP_TIMEOUT);
			throw ex;
		}
		return new MotoServer(process, endpoint, log, version);
	}

	private static void awaitReady(Process process, URI endpoint, Path log) {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
		HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(2)).GET().build();
		try {
			Awaitility.await("moto answering on " + endpoint)
				.atMost(START_TIMEOUT)
				.pollInterval(Duration.ofMillis(100))
				.until(() -> {
					if (!process.isAlive()) {
						throw new IllegalStateException("moto exited with " + process.exitValue()
								+ " before answering on " + endpoint + "; log " + log + ":\n" + Processes.tail(log));
					}
					try {
						http.send(request, HttpResponse.BodyHandlers.discarding());
						return true;
					}
					catch (IOException ex) {
						return false;
					}
				});
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException("moto did not answer on " + endpoint + " within " + START_TIMEOUT + "; log "
					+ log + ":\n" + Processes.tail(log), ex);
		}
	}

	@Override
	public URI endpoint() {
		return this.endpoint;
	}

	@Override
	public String region() {
		return REGION;
	}

	@Override
	public String accessKey() {
		return ACCESS_KEY;
	}

	@Override
	public String secretKey() {
		return SECRET_KEY;
	}

	@Override
	public String describe() {
		return "moto " + this.version + " (pid " + this.process.pid() + ", " + this.endpoint + ", log " + this.log
				+ ")";
	}

	@Override
	public S3Client client() {
		S3Client client = this.client;
		if (client == null) {
			synchronized (this) {
				client = this.client;
				if (client == null) {
					client = clientBuilder().build();
					this.client = client;
				}
			}
		}
		return client;
	}

	@Override
	public void close() {
		S3Client client = this.client;
		if (client != null) {
			client.close();
		}
		this.process.destroy();
		if (!Processes.waitFor(this.process, STOP_TIMEOUT)) {
			this.process.destroyForcibly();
			Processes.waitFor(this.process, STOP_TIMEOUT);
		}
		try {
			Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
		}
		catch (IllegalStateException ex) {
			// Already shutting down: the hook runs anyway
		}
	}

	@Override
	public String toString() {
		return describe();
	}

}
