package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3Proxy ({@code org.gaul:s3proxy}, filesystem backend) running in a child JVM on a free
 * loopback port. In the test JVM its Jetty, Jackson and logback would clash with Spring
 * Boot's, so only its self-contained {@code jar-with-dependencies} is run, with
 * {@code java -jar ... --properties s3proxy.conf}.
 * <p>
 * The jar is resolved by Maven as a test dependency that never joins a classpath (see the
 * module's pom) and found in the local repository, located through a jar that is on the
 * classpath; the version is {@code s3proxy.version} of the parent pom. The system
 * property {@code litestream.s3proxy.jar} overrides the lookup, for example in an IDE
 * with a different local repository.
 * <p>
 * Measured with S3Proxy 4.0.0: SigV4 is checked (a wrong secret gives
 * {@code SignatureDoesNotMatch}, an unknown key {@code InvalidAccessKeyId}), parts below
 * 5 MiB but the last are rejected as on AWS, and keys or prefixes with a leading slash
 * are not supported (signature mismatch, 400 on listing), so Litestream's layout for an
 * empty prefix cannot be exercised against it.
 */
public final class S3ProxyServer implements S3Server {

	/** The property naming the S3Proxy jar explicitly. */
	public static final String JAR_PROPERTY = "litestream.s3proxy.jar";

	private static final String REGION = "us-east-1";

	private static final String ACCESS_KEY = "litestream-test-access";

	private static final String SECRET_KEY = "litestream-test-secret-d41d8cd98f00b204";

	private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

	private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

	private static final int START_ATTEMPTS = 3;

	private static final Pattern VERSION_PROPERTY = Pattern.compile("<s3proxy\\.version>([^<]+)</s3proxy\\.version>");

	private final Path directory;

	private final Process process;

	private final URI endpoint;

	private final Path log;

	private final String version;

	private final Thread shutdownHook;

	private volatile @Nullable S3Client client;

	private S3ProxyServer(Path directory, Process process, URI endpoint, Path log, String version) {
		this.directory = directory;
		this.process = process;
		this.endpoint = endpoint;
		this.log = log;
		this.version = version;
		// A test run that ends without closing the extension store must not leave the
		// server behind
		this.shutdownHook = new Thread(process::destroyForcibly, "s3proxy-shutdown");
		Runtime.getRuntime().addShutdownHook(this.shutdownHook);
	}

	/**
	 * Starts S3Proxy in a child JVM and waits until it answers HTTP requests.
	 * @return the running server
	 * @throws IllegalStateException if the jar cannot be found or the server does not
	 * start, quoting its log
	 */
	public static S3ProxyServer start() {
		Path jar = findJar();
		Path directory;
		try {
			directory = Files.createTempDirectory("litestream-s3proxy-");
			Files.createDirectories(directory.resolve("data"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		IllegalStateException failure = null;
		// The free port is only reserved until the child binds it: another process may
		// take it in between, so a server that dies at startup gets another port
		for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
			try {
				return startOnFreePort(jar, directory, attempt);
			}
			catch (IllegalStateException ex) {
				failure = ex;
			}
		}
		throw failure;
	}

	private static S3ProxyServer startOnFreePort(Path jar, Path directory, int attempt) {
		int port = LoopbackPorts.free();
		URI endpoint = URI.create("http://127.0.0.1:" + port);
		Path properties = directory.resolve("s3proxy-" + attempt + ".conf");
		Path log = directory.resolve("s3proxy-" + attempt + ".log");
		try {
			Files.writeString(properties,
					String.join("\n", "s3proxy.endpoint=" + endpoint, "s3proxy.authorization=aws-v2-or-v4",
							"s3proxy.identity=" + ACCESS_KEY, "s3proxy.credential=" + SECRET_KEY,
							"jclouds.provider=filesystem-nio2",
							"jclouds.filesystem.basedir=" + directory.resolve("data").toAbsolutePath(), ""));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		// Small and quick to start: it only serves tests
		command.addAll(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
				"-Djava.io.tmpdir=" + directory.toAbsolutePath(), "-DLOG_LEVEL=warn", "-DJETTY_LOG_LEVEL=warn"));
		command.addAll(List.of("-jar", jar.toString(), "--properties", properties.toString()));
		Process process = Processes.start(command, log);
		try {
			awaitReady(process, endpoint, log);
		}
		catch (RuntimeException ex) {
			process.destroyForcibly();
			Processes.waitFor(process, STOP_TIMEOUT);
			throw ex;
		}
		return new S3ProxyServer(directory, process, endpoint, log, versionOf(jar));
	}

	private static void awaitReady(Process process, URI endpoint, Path log) {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
		HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(2)).GET().build();
		try {
			Awaitility.await("S3Proxy answering on " + endpoint)
				.atMost(START_TIMEOUT)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> {
					if (!process.isAlive()) {
						throw new IllegalStateException("S3Proxy exited with " + process.exitValue()
								+ " before answering on " + endpoint + "; log " + log + ":\n" + Processes.tail(log));
					}
					try {
						// Any answer, even 403 for an unsigned request, means it serves
						http.send(request, HttpResponse.BodyHandlers.discarding());
						return true;
					}
					catch (IOException ex) {
						return false;
					}
				});
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException("S3Proxy did not answer on " + endpoint + " within " + START_TIMEOUT
					+ "; log " + log + ":\n" + Processes.tail(log), ex);
		}
	}

	/**
	 * Finds the S3Proxy {@code jar-with-dependencies}: the {@value #JAR_PROPERTY}
	 * property if set, else the version of the parent pom's {@code s3proxy.version} in
	 * the local Maven repository that this build resolved its dependencies into.
	 * @return the jar
	 */
	static Path findJar() {
		String configured = System.getProperty(JAR_PROPERTY);
		if (configured != null && !configured.isBlank()) {
			Path jar = Path.of(configured);
			if (!Files.isRegularFile(jar)) {
				throw new IllegalStateException("-D" + JAR_PROPERTY + "=" + configured + " is not a file");
			}
			return jar;
		}
		Path repository = localRepository();
		Path artifactDir = repository.resolve("org/gaul/s3proxy");
		String version = declaredVersion();
		if (version == null) {
			version = newestVersion(artifactDir);
		}
		Path jar = artifactDir.resolve(version).resolve("s3proxy-" + version + "-jar-with-dependencies.jar");
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException("S3Proxy jar " + jar + " is missing. Run the tests through Maven "
					+ "(./mvnw test), which resolves org.gaul:s3proxy:" + version + ":jar-with-dependencies, or "
					+ "pass -D" + JAR_PROPERTY + "=/path/to/s3proxy-jar-with-dependencies.jar");
		}
		return jar;
	}

	/**
	 * Locates the local Maven repository from a dependency jar on the classpath:
	 * {@code <repo>/org/jspecify/jspecify/<v>/jspecify-<v>.jar}. Surefire puts the
	 * classpath in a manifest-only jar, so {@code java.class.path} cannot tell.
	 */
	private static Path localRepository() {
		CodeSource source = Nullable.class.getProtectionDomain().getCodeSource();
		try {
			Path jar = Path.of(source.getLocation().toURI());
			// jspecify-<v>.jar -> <v> -> jspecify -> jspecify -> org -> repository
			Path repository = jar.getParent().getParent().getParent().getParent().getParent();
			if (Files.isDirectory(repository.resolve("org/jspecify"))) {
				return repository;
			}
		}
		catch (Exception ex) {
			// Fall back to the default location below
		}
		String property = System.getProperty("maven.repo.local");
		return (property != null) ? Path.of(property) : Path.of(System.getProperty("user.home"), ".m2", "repository");
	}

	/**
	 * Reads {@code s3proxy.version} from the first pom.xml above the working directory
	 * that declares it.
	 */
	private static @Nullable String declaredVersion() {
		for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
			Path pom = dir.resolve("pom.xml");
			if (Files.isRegularFile(pom)) {
				try {
					Matcher matcher = VERSION_PROPERTY.matcher(Files.readString(pom));
					if (matcher.find()) {
						return matcher.group(1).strip();
					}
				}
				catch (IOException ex) {
					// Unreadable: keep looking further up
				}
			}
		}
		return null;
	}

	private static String newestVersion(Path artifactDir) {
		try (Stream<Path> versions = Files.list(artifactDir)) {
			return versions.map((path) -> path.getFileName().toString())
				.filter((name) -> Files
					.isRegularFile(artifactDir.resolve(name).resolve("s3proxy-" + name + "-jar-with-dependencies.jar")))
				.max(Comparator.comparing(S3ProxyServer::versionKey))
				.orElseThrow(() -> new IllegalStateException("No S3Proxy jar-with-dependencies in " + artifactDir));
		}
		catch (IOException ex) {
			throw new IllegalStateException("No S3Proxy jar-with-dependencies in " + artifactDir, ex);
		}
	}

	private static String versionKey(String version) {
		StringBuilder key = new StringBuilder();
		for (String part : version.split("\\.")) {
			key.append(String.format(Locale.ROOT, "%8s", part)).append('.');
		}
		return key.toString();
	}

	private static String versionOf(Path jar) {
		String name = jar.getFileName().toString();
		return name.startsWith("s3proxy-")
				? name.substring("s3proxy-".length()).replace("-jar-with-dependencies.jar", "") : name;
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
		return "S3Proxy " + this.version + " (child JVM pid " + this.process.pid() + ", filesystem-nio2, "
				+ this.endpoint + ", log " + this.log + ")";
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
		OfficialLitestream.deleteQuietly(this.directory);
	}

	@Override
	public String toString() {
		return describe();
	}

}
