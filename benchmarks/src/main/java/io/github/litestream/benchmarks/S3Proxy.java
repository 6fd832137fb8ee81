package io.github.litestream.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3Proxy (filesystem backend) as a child JVM on a loopback port, started from the
 * jar-with-dependencies the build copies to {@code benchmarks/target/tools/s3proxy.jar}
 * (the version of the root pom's {@code s3proxy.version}).
 */
final class S3Proxy implements AutoCloseable {

	static final String REGION = "us-east-1";

	static final String ACCESS_KEY = "bench-access";

	static final String SECRET_KEY = "bench-secret-0123456789abcdef";

	private final Process process;

	private final URI endpoint;

	private final Path basedir;

	private S3Proxy(Process process, URI endpoint, Path basedir) {
		this.process = process;
		this.endpoint = endpoint;
		this.basedir = basedir;
	}

	/**
	 * The version in the jar's manifest, so that the report names the S3Proxy that ran
	 * rather than one written into the code, which went stale when the build's version
	 * moved.
	 * @param jar the jar-with-dependencies
	 * @return its {@code Implementation-Version}, or {@code "(unknown version)"}
	 * @throws IOException if the jar cannot be read
	 */
	static String version(Path jar) throws IOException {
		try (JarFile file = new JarFile(jar.toFile())) {
			String version = (file.getManifest() != null)
					? file.getManifest().getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION) : null;
			return (version != null) ? version : "(unknown version)";
		}
	}

	static S3Proxy start(Path jar, Path directory) throws IOException, InterruptedException {
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException(jar + " is missing: build with ./mvnw -pl benchmarks -am package");
		}
		Path basedir = Files.createDirectories(directory.resolve("data"));
		int port;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			port = socket.getLocalPort();
		}
		URI endpoint = URI.create("http://127.0.0.1:" + port);
		Path properties = directory.resolve("s3proxy.conf");
		Files.writeString(properties,
				String.join("\n", "s3proxy.endpoint=" + endpoint, "s3proxy.authorization=aws-v2-or-v4",
						"s3proxy.identity=" + ACCESS_KEY, "s3proxy.credential=" + SECRET_KEY,
						"jclouds.provider=filesystem-nio2", "jclouds.filesystem.basedir=" + basedir.toAbsolutePath(),
						""));
		List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
				"-Djava.io.tmpdir=" + directory.toAbsolutePath(), "-DLOG_LEVEL=warn", "-DJETTY_LOG_LEVEL=warn", "-jar",
				jar.toAbsolutePath().toString(), "--properties", properties.toString());
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(directory.resolve("s3proxy.log").toFile())
			.start();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (true) {
			if (!process.isAlive()) {
				throw new IllegalStateException(
						"S3Proxy exited: " + Files.readString(directory.resolve("s3proxy.log")));
			}
			try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
				break;
			}
			catch (IOException ex) {
				if (System.nanoTime() > deadline) {
					process.destroyForcibly();
					throw new IllegalStateException("S3Proxy did not listen on " + endpoint);
				}
				Thread.sleep(50);
			}
		}
		return new S3Proxy(process, endpoint, basedir);
	}

	URI endpoint() {
		return this.endpoint;
	}

	Path basedir() {
		return this.basedir;
	}

	static S3Client client(URI endpoint) {
		return S3Client.builder()
			.endpointOverride(endpoint)
			.region(Region.of(REGION))
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
			.forcePathStyle(true)
			.build();
	}

	void createBucket(String bucket) {
		try (S3Client s3 = client(this.endpoint)) {
			s3.createBucket((b) -> b.bucket(bucket));
		}
	}

	@Override
	public void close() throws InterruptedException {
		this.process.destroy();
		if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
			this.process.destroyForcibly().waitFor();
		}
	}

}
