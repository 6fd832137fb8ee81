package io.github.litestream.storage.s3;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaException;
import io.github.litestream.testsupport.S3Server;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * How {@link S3ReplicaClient} fails: real misconfigurations against a real S3-compatible
 * server (a missing bucket, wrong credentials, an endpoint nobody listens on) and
 * scripted transient failures (throttling, server errors, connection resets, a lost
 * response) on top of it.
 */
class S3ReplicaClientFailureTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final Instant TIMESTAMP = Instant.parse("2026-01-02T03:04:05.678Z");

	// Quick retries: the tests count attempts, they do not measure backoff
	private static final S3RetryPolicy FAST_RETRIES = new S3RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2));

	private final List<S3RequestEvent> events = new CopyOnWriteArrayList<>();

	private String bucket;

	private S3Client ownClient;

	@BeforeEach
	void createBucket() {
		this.bucket = s3.server().createBucket("failures");
	}

	@AfterEach
	void closeOwnClient() {
		if (this.ownClient != null) {
			this.ownClient.close();
		}
	}

	private S3Server server() {
		return s3.server();
	}

	private S3ReplicaClient client(S3Client s3Client, String bucket) {
		return S3ReplicaClient.builder(s3Client, bucket)
			.prefix("db")
			.partSize(S3ReplicaClient.MIN_PART_SIZE)
			.retryPolicy(FAST_RETRIES)
			.requestListener(this.events::add)
			.build();
	}

	private S3Client withoutSdkRetries(URI endpoint, String accessKey, String secretKey) {
		this.ownClient = server().clientBuilder()
			.endpointOverride(endpoint)
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
			// Only this client's retries, so attempts can be counted
			.overrideConfiguration((override) -> override.retryStrategy(AwsRetryStrategy.doNotRetry()))
			.build();
		return this.ownClient;
	}

	private static InputStream oneByte() {
		return new ByteArrayInputStream(new byte[1]);
	}

	private static S3Exception s3Error(int status, String code) {
		return (S3Exception) S3Exception.builder()
			.statusCode(status)
			.message(code)
			.awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("Scripted " + code).build())
			.build();
	}

	@Test
	void missingBucketIsNotRetriedAndTheMessageNamesBucketAndEndpoint() {
		S3ReplicaClient client = client(server().client(), "no-such-bucket");
		// Not deleteFiles: S3Proxy answers DeleteObjects on a missing bucket with 200 and
		// no
		// errors, where AWS answers NoSuchBucket
		List<ThrowingCall> calls = List.of(() -> client.listFiles(0),
				() -> client.writeFile(0, 1, 1, TIMESTAMP, oneByte()), () -> client.openFile(0, 1, 1),
				client::deleteAll);
		for (ThrowingCall call : calls) {
			this.events.clear();
			assertThatExceptionOfType(ReplicaException.class).isThrownBy(call::run).satisfies((ex) -> {
				assertThat(ex.retryable()).isFalse();
				assertThat(ex.getMessage()).contains("'no-such-bucket'", server().endpoint().toString(), "NoSuchBucket",
						"Create bucket 'no-such-bucket'");
			});
			assertThat(this.events).singleElement().extracting(S3RequestEvent::statusCode).isEqualTo(404);
		}
	}

	@Test
	void wrongSecretIsNotRetriedAndNeverShown() {
		String wrongSecret = "wrong-secret-5f4dcc3b5aa765d61d8327deb882cf99";
		S3ReplicaClient client = client(withoutSdkRetries(server().endpoint(), server().accessKey(), wrongSecret),
				this.bucket);
		assertThatExceptionOfType(ReplicaException.class)
			.isThrownBy(() -> client.writeFile(0, 1, 1, TIMESTAMP, oneByte()))
			.satisfies((ex) -> {
				assertThat(ex.retryable()).isFalse();
				assertThat(ex.getMessage()).contains(this.bucket, server().endpoint().toString(),
						"SignatureDoesNotMatch", "check the configured credentials");
				assertThat(fullText(ex)).doesNotContain(wrongSecret).doesNotContain(server().secretKey());
			});
		assertThat(this.events).singleElement().extracting(S3RequestEvent::statusCode).isEqualTo(403);
		assertThat(client.toString()).doesNotContain(wrongSecret);
	}

	@Test
	void unknownAccessKeyIsNotRetried() {
		S3ReplicaClient client = client(withoutSdkRetries(server().endpoint(), "nobody", "whatever-secret"),
				this.bucket);
		assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.listFiles(0)).satisfies((ex) -> {
			assertThat(ex.retryable()).isFalse();
			assertThat(ex.getMessage()).contains(this.bucket, server().endpoint().toString(), "InvalidAccessKeyId");
			assertThat(fullText(ex)).doesNotContain("whatever-secret");
		});
		assertThat(this.events).hasSize(1);
	}

	@Test
	void unreachableEndpointIsRetryableAfterEveryAttempt() throws IOException {
		URI nobody = URI.create("http://127.0.0.1:" + closedPort());
		S3ReplicaClient client = client(withoutSdkRetries(nobody, "key", "unreachable-secret"), this.bucket);
		assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.listFiles(0)).satisfies((ex) -> {
			assertThat(ex.retryable()).isTrue();
			assertThat(ex.getMessage()).contains(this.bucket, nobody.toString(),
					"Check that the endpoint is reachable");
			assertThat(fullText(ex)).doesNotContain("unreachable-secret");
		});
		assertThat(this.events).hasSize(FAST_RETRIES.maxAttempts())
			.allSatisfy((event) -> assertThat(event.statusCode()).isZero());
	}

	private static int closedPort() throws IOException {
		// Bound and released: nothing listens there afterwards
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

	@Test
	void createFileOnceSendsARequestHeldByAnOutageOnlyOnce() throws Exception {
		try (HoldingEndpoint outage = new HoldingEndpoint()) {
			// The SDK's own retries stay on, as in an application's client; every attempt
			// is held until the attempt timeout gives up on it
			Duration held = S3ReplicaClient.HELD_ATTEMPT.plusMillis(200);
			this.ownClient = server().clientBuilder()
				.endpointOverride(outage.uri())
				.overrideConfiguration((override) -> override.apiCallAttemptTimeout(held))
				.build();
			S3ReplicaClient client = client(this.ownClient, this.bucket);
			assertThatExceptionOfType(ReplicaException.class)
				.isThrownBy(() -> client.createFileOnce(0, 1, 1, TIMESTAMP, oneByte()))
				.satisfies((ex) -> assertThat(ex.retryable()).isTrue());
			await().during(Duration.ofMillis(500))
				.atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(outage.puts()).as("PUTs of createFileOnce").isEqualTo(1));
			// createFile repeats the held request, by this client's policy and the SDK's
			S3ReplicaClient twoAttempts = S3ReplicaClient.builder(this.ownClient, this.bucket)
				.prefix("db")
				.retryPolicy(new S3RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2)))
				.build();
			assertThatExceptionOfType(ReplicaException.class)
				.isThrownBy(() -> twoAttempts.createFile(0, 2, 2, TIMESTAMP, oneByte()));
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(outage.puts() - 1).as("PUTs of createFile").isGreaterThan(2));
		}
	}

	@Test
	void createFileOnceRetriesFailuresAnsweredAtOnce() throws IOException {
		SdkClientException stale = SdkClientException.create("Unable to execute HTTP request",
				new SocketException("The target server failed to respond"));
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("PutObject", s3Error(503, "SlowDown"),
				stale);
		S3ReplicaClient client = client(scripted, this.bucket);
		client.createFileOnce(0, 1, 1, TIMESTAMP, oneByte());
		assertThat(this.events).extracting(S3RequestEvent::statusCode).containsExactly(503, 0, 200);
		assertThat(client.listFiles(0)).hasSize(1);
	}

	/**
	 * An endpoint that reads requests and never answers them, as a network partition
	 * swallows them; it counts the PUT requests it received.
	 */
	private static final class HoldingEndpoint implements AutoCloseable {

		private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

		private final AtomicInteger puts = new AtomicInteger();

		private final List<Socket> sockets = new CopyOnWriteArrayList<>();

		private final Thread acceptor;

		HoldingEndpoint() throws IOException {
			this.acceptor = new Thread(this::accept, "holding-endpoint");
			this.acceptor.setDaemon(true);
			this.acceptor.start();
		}

		URI uri() {
			return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
		}

		int puts() {
			return this.puts.get();
		}

		private void accept() {
			while (!this.server.isClosed()) {
				try {
					Socket socket = this.server.accept();
					this.sockets.add(socket);
					Thread reader = new Thread(() -> read(socket), "holding-endpoint-reader");
					reader.setDaemon(true);
					reader.start();
				}
				catch (IOException ex) {
					return;
				}
			}
		}

		private void read(Socket socket) {
			try {
				BufferedReader in = new BufferedReader(
						new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
				String line = in.readLine();
				if (line != null && line.startsWith("PUT ")) {
					this.puts.incrementAndGet();
				}
				// Held: the rest is read and never answered
				while (in.read() >= 0) {
					// Discard.
				}
			}
			catch (IOException ex) {
				// The client gave up on the request.
			}
		}

		@Override
		public void close() throws IOException {
			this.server.close();
			for (Socket socket : this.sockets) {
				socket.close();
			}
		}

	}

	@Test
	void throttlingAndServerErrorsAreRetriedUntilTheRequestSucceeds() throws IOException {
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("PutObject", s3Error(503, "SlowDown"),
				s3Error(500, "InternalError"));
		S3ReplicaClient client = client(scripted, this.bucket);
		client.writeFile(0, 1, 1, TIMESTAMP, oneByte());
		assertThat(this.events).extracting(S3RequestEvent::statusCode).containsExactly(503, 500, 200);
		assertThat(client.listFiles(0)).hasSize(1);
	}

	@Test
	void throttlingBeyondTheLastAttemptIsARetryableFailure() {
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("ListObjectsV2",
				s3Error(429, "TooManyRequests"), s3Error(503, "SlowDown"), s3Error(503, "SlowDown"),
				s3Error(503, "SlowDown"));
		S3ReplicaClient client = client(scripted, this.bucket);
		assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.listFiles(0)).satisfies((ex) -> {
			assertThat(ex.retryable()).isTrue();
			assertThat(ex.getMessage()).contains("HTTP 503 SlowDown", this.bucket, "can be retried");
		});
		assertThat(this.events).extracting(S3RequestEvent::statusCode).containsExactly(429, 503, 503);
	}

	@Test
	void connectionResetsAreRetried() throws IOException {
		SdkClientException reset = SdkClientException.create("Unable to execute HTTP request",
				new SocketException("Connection reset"));
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("GetObject", reset)
			.fail("ListObjectsV2", reset);
		S3ReplicaClient client = client(scripted, this.bucket);
		client.writeFile(0, 1, 1, TIMESTAMP, oneByte());
		assertThat(client.listFiles(0)).hasSize(1);
		try (InputStream in = client.openFile(0, 1, 1)) {
			assertThat(in.readAllBytes()).hasSize(1);
		}
		assertThat(this.events).extracting(S3RequestEvent::apiName, S3RequestEvent::statusCode)
			.containsExactly(tuple("PutObject", 200), tuple("ListObjectsV2", 0), tuple("ListObjectsV2", 200),
					tuple("GetObject", 0), tuple("GetObject", 200));
	}

	@Test
	void accessDeniedIsNotRetriedAndSaysWhichPermissionsAreNeeded() {
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("DeleteObjects",
				s3Error(403, "AccessDenied"));
		S3ReplicaClient client = client(scripted, this.bucket);
		assertThatExceptionOfType(ReplicaException.class)
			.isThrownBy(() -> client.deleteFiles(List.of(new LtxFileInfo(0, 1, 1, 1, TIMESTAMP))))
			.satisfies((ex) -> {
				assertThat(ex.retryable()).isFalse();
				assertThat(ex.getMessage()).contains("AccessDenied", "s3:DeleteObject");
			});
		assertThat(this.events).hasSize(1);
	}

	@Test
	void failedPartIsRetriedWithoutRestartingTheUpload() throws IOException {
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("UploadPart",
				s3Error(500, "InternalError"));
		S3ReplicaClient client = client(scripted, this.bucket);
		long size = S3ReplicaClient.MIN_PART_SIZE + 10L;
		assertThat(client.writeFile(9, 1, 1, TIMESTAMP, GeneratedStream.of(size, 1)).size()).isEqualTo(size);
		assertThat(this.events).extracting(S3RequestEvent::apiName, S3RequestEvent::statusCode)
			.containsExactly(tuple("CreateMultipartUpload", 200), tuple("UploadPart", 500), tuple("UploadPart", 200),
					tuple("UploadPart", 200), tuple("CompleteMultipartUpload", 200));
		assertThat(server().client().listMultipartUploads((request) -> request.bucket(this.bucket)).uploads())
			.isEmpty();
	}

	@Test
	void completionWhoseResponseWasLostIsRecognisedOnRetry() throws IOException {
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).loseResponse("CompleteMultipartUpload",
				SdkClientException.create("Unable to execute HTTP request", new SocketException("Connection reset")));
		S3ReplicaClient client = client(scripted, this.bucket);
		long size = S3ReplicaClient.MIN_PART_SIZE + 10L;
		assertThat(client.writeFile(9, 1, 1, TIMESTAMP, GeneratedStream.of(size, 2)).size()).isEqualTo(size);
		assertThat(client.listFiles(9)).singleElement().extracting(LtxFileInfo::size).isEqualTo(size);
		assertThat(server().client().listMultipartUploads((request) -> request.bucket(this.bucket)).uploads())
			.isEmpty();
	}

	@Test
	void failedCompletionAbortsTheUpload() {
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("CompleteMultipartUpload",
				s3Error(403, "AccessDenied"));
		S3ReplicaClient client = client(scripted, this.bucket);
		assertThatExceptionOfType(ReplicaException.class).isThrownBy(
				() -> client.writeFile(9, 1, 1, TIMESTAMP, GeneratedStream.of(S3ReplicaClient.MIN_PART_SIZE + 10L, 3)))
			.satisfies((ex) -> assertThat(ex.retryable()).isFalse());
		assertThat(this.events).extracting(S3RequestEvent::apiName).endsWith("AbortMultipartUpload");
		assertThat(server().client().listMultipartUploads((request) -> request.bucket(this.bucket)).uploads())
			.isEmpty();
		assertThat(server().client().listObjectsV2((request) -> request.bucket(this.bucket)).contents()).isEmpty();
	}

	@Test
	void interruptDuringBackoffIsAnInterruptedIoException() throws Exception {
		CountDownLatch firstAttempt = new CountDownLatch(1);
		ScriptedS3Client scripted = new ScriptedS3Client(server().client()).fail("ListObjectsV2",
				s3Error(503, "SlowDown"));
		S3ReplicaClient client = S3ReplicaClient.builder(scripted, this.bucket)
			.retryPolicy(new S3RetryPolicy(2, Duration.ofMinutes(1), Duration.ofMinutes(1)))
			.requestListener((event) -> firstAttempt.countDown())
			.build();
		Thread caller = Thread.currentThread();
		ExecutorService interrupter = Executors.newSingleThreadExecutor();
		try {
			interrupter.submit(() -> {
				if (firstAttempt.await(10, TimeUnit.SECONDS)) {
					caller.interrupt();
				}
				return null;
			});
			assertThatExceptionOfType(InterruptedIOException.class).isThrownBy(() -> client.listFiles(0));
			assertThat(Thread.interrupted()).as("interrupt status kept (and cleared here)").isTrue();
		}
		finally {
			interrupter.shutdownNow();
			Thread.interrupted();
		}
	}

	private static String fullText(Throwable ex) {
		StringBuilder text = new StringBuilder();
		for (Throwable t = ex; t != null; t = t.getCause()) {
			text.append(t).append('\n');
		}
		return text.toString();
	}

	@FunctionalInterface
	private interface ThrowingCall {

		void run() throws Exception;

	}

}
