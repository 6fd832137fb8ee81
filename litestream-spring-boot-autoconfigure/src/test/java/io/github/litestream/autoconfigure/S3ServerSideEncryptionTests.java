package io.github.litestream.autoconfigure;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;

import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.RecordingProxy;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Server-side encryption as it reaches the server, recorded at a proxy in front of moto
 * (S3Proxy answers 501 NotImplemented to every encryption header): the SSE-KMS headers on
 * every write, the SSE-C key on every write, every part and every read. Neither test
 * server enforces SSE-C (moto returns an SSE-C object to a GET without the key), so
 * restoring without the key cannot be shown to fail here; what is sent is.
 */
class S3ServerSideEncryptionTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final int PART_SIZE = S3ReplicaClient.MIN_PART_SIZE;

	private static final Instant TIMESTAMP = Instant.parse("2026-01-02T03:04:05.678Z");

	private static final String KEY = Base64.getEncoder()
		.encodeToString(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
				24, 25, 26, 27, 28, 29, 30, 31, 32 });

	@TempDir
	Path dir;

	private RecordingProxy proxy;

	private S3ReplicaClientFactory factory;

	@BeforeAll
	static void moto() {
		s3.use(S3ServerExtension.Implementation.MOTO);
	}

	@BeforeEach
	void startProxy() throws IOException {
		this.proxy = RecordingProxy.start(s3.server().endpoint());
		this.factory = new S3ReplicaClientFactory(new DefaultListableBeanFactory().getBeanProvider(S3Client.class),
				new DefaultListableBeanFactory().getBeanProvider(S3RequestListenerFactory.class));
	}

	@AfterEach
	void stop() throws IOException {
		this.factory.destroy();
		this.proxy.close();
	}

	private LitestreamProperties.Replica properties(Consumer<LitestreamProperties.Replica> customizer) {
		String bucket = s3.server().createBucket("sse");
		LitestreamProperties.Replica replica = new LitestreamProperties.Replica();
		replica.setUrl(URI.create("s3://" + bucket + "/db"));
		replica.setEndpoint(this.proxy.endpoint());
		replica.setRegion(s3.server().region());
		replica.setAccessKeyId(s3.server().accessKey());
		replica.setSecretAccessKey(s3.server().secretKey());
		replica.setPartSize(DataSize.ofBytes(PART_SIZE));
		customizer.accept(replica);
		return replica;
	}

	private ReplicaClient replica(LitestreamProperties.Replica properties) {
		return this.factory.create(properties, "litestream.replicas[0]", (String) null);
	}

	/**
	 * Writes a small and a multipart file, lists with a fresh client (so timestamps are
	 * read with HeadObject), reads one whole and downloads the other in ranges.
	 */
	private void exercise(LitestreamProperties.Replica properties) throws IOException {
		try (ReplicaClient writer = replica(properties)) {
			writer.writeFile(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(new byte[1000]));
			writer.writeFile(9, 1, 2, TIMESTAMP, new ByteArrayInputStream(new byte[2 * PART_SIZE + 10]));
		}
		try (ReplicaClient reader = replica(properties)) {
			List<LtxFileInfo> files = reader.listFiles(0, 0);
			assertThat(files).singleElement().satisfies((file) -> assertThat(file.createdAt()).isEqualTo(TIMESTAMP));
			try (InputStream in = reader.openFile(0, 1, 1)) {
				assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(1000);
			}
			Path target = this.dir.resolve("download.ltx");
			reader.download(9, 1, 2, target);
			assertThat(Files.size(target)).isEqualTo(2L * PART_SIZE + 10);
		}
	}

	private static boolean isObjectRequest(RecordingProxy.Request request) {
		// Listings and bucket operations carry no encryption headers
		return !request.hasQuery("list-type") && !request.hasQuery("delete")
				&& request.target().chars().filter((c) -> c == '/').count() > 1;
	}

	@Test
	void sseKmsHeadersAreOnEveryWrite() throws IOException {
		exercise(properties((replica) -> replica.setSseKmsKeyId("alias/litestream")));
		List<RecordingProxy.Request> writes = this.proxy.requests()
			.stream()
			.filter((request) -> request.method().equals("PUT") && !request.hasQuery("partNumber")
					|| request.method().equals("POST") && request.hasQuery("uploads"))
			.toList();
		assertThat(writes).hasSize(2).allSatisfy((request) -> {
			assertThat(request.header("x-amz-server-side-encryption")).as("%s", request).isEqualTo("aws:kms");
			assertThat(request.header("x-amz-server-side-encryption-aws-kms-key-id")).as("%s", request)
				.isEqualTo("alias/litestream");
		});
	}

	@Test
	void sseCustomerKeyIsSentWithEveryWriteEveryPartAndEveryRead() throws Exception {
		exercise(properties((replica) -> replica.setSseCustomerKey(KEY)));
		List<RecordingProxy.Request> objectRequests = this.proxy.requests()
			.stream()
			.filter(S3ServerSideEncryptionTests::isObjectRequest)
			.toList();
		assertThat(objectRequests).extracting(RecordingProxy.Request::method).contains("PUT", "POST", "GET", "HEAD");
		assertThat(objectRequests).filteredOn((request) -> request.header("range") != null).hasSizeGreaterThan(1);
		String keyMd5 = Base64.getEncoder()
			.encodeToString(MessageDigest.getInstance("MD5").digest(Base64.getDecoder().decode(KEY)));
		assertThat(objectRequests).allSatisfy((request) -> {
			assertThat(request.header("x-amz-server-side-encryption-customer-algorithm")).as("%s", request)
				.isEqualTo("AES256");
			assertThat(request.header("x-amz-server-side-encryption-customer-key")).as("%s", request).isEqualTo(KEY);
			assertThat(request.header("x-amz-server-side-encryption-customer-key-md5")).as("%s", request)
				.isEqualTo(keyMd5);
		});
	}

	@Test
	void sseCustomerKeyFileHoldsTheBase64Key() throws IOException {
		Path keyFile = this.dir.resolve("sse.key");
		Files.writeString(keyFile, KEY + "\n");
		exercise(properties((replica) -> replica.setSseCustomerKeyPath(keyFile)));
		assertThat(this.proxy.requests()).filteredOn(S3ServerSideEncryptionTests::isObjectRequest)
			.allSatisfy((request) -> assertThat(request.header("x-amz-server-side-encryption-customer-key"))
				.isEqualTo(KEY));
	}

	@Test
	void storageClassIsSentWithEveryWrite() throws IOException {
		exercise(properties((replica) -> replica.setStorageClass("STANDARD_IA")));
		assertThat(this.proxy.requests())
			.filteredOn((request) -> request.method().equals("PUT") && !request.hasQuery("partNumber")
					|| request.method().equals("POST") && request.hasQuery("uploads"))
			.hasSize(2)
			.allSatisfy((request) -> assertThat(request.header("x-amz-storage-class")).isEqualTo("STANDARD_IA"));
	}

	@Test
	void sseCustomerKeyOverPlainHttpToAnotherHostIsRefusedWithoutShowingTheKey() {
		LitestreamProperties.Replica properties = properties((replica) -> {
			replica.setEndpoint(URI.create("http://s3.example.com"));
			replica.setSseCustomerKey(KEY);
		});
		assertThatExceptionOfType(LitestreamConfigurationException.class).isThrownBy(() -> replica(properties))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("litestream.replicas[0].sse-customer-key");
				assertThat(ex.getMessage()).contains("plain HTTP").doesNotContain(KEY);
				assertThat(ex.getValue()).isNull();
			});
	}

	@Test
	void invalidSseCustomerKeyFailsWithoutShowingIt() {
		String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
		LitestreamProperties.Replica properties = properties((replica) -> replica.setSseCustomerKey(shortKey));
		assertThatExceptionOfType(LitestreamConfigurationException.class).isThrownBy(() -> replica(properties))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("litestream.replicas[0].sse-customer-key");
				assertThat(ex.getMessage()).contains("256 bits").doesNotContain(shortKey);
			});
	}

	@Test
	void sseKmsAndSseCustomerKeyTogetherAreRefused() {
		LitestreamProperties.Replica properties = properties((replica) -> {
			replica.setSseCustomerKey(KEY);
			replica.setSseKmsKeyId("alias/x");
		});
		assertThatExceptionOfType(LitestreamConfigurationException.class).isThrownBy(() -> replica(properties))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("litestream.replicas[0].sse-kms-key-id"));
	}

	@Test
	void clientDescriptionsNeverShowTheKey() {
		try (ReplicaClient client = replica(properties((replica) -> replica.setSseCustomerKey(KEY)))) {
			assertThat(client.toString()).doesNotContain(KEY);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
