package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.RecordingProxy;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.s3.S3Client;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records, at a proxy in front of each test server, the headers of every request a
 * replica sends to a custom endpoint: none of the optional checksums or
 * {@code aws-chunked} uploads that the AWS SDK adds by default since 2.30 and that many
 * S3-compatible stores reject.
 */
@ParameterizedClass(name = "[{0}]")
@EnumSource(S3ServerExtension.Implementation.class)
class S3ReplicaRequestHeadersTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	@Parameter
	S3ServerExtension.Implementation implementation;

	@BeforeParameterizedClassInvocation
	static void selectServer(S3ServerExtension.Implementation implementation) {
		s3.use(implementation);
	}

	private static final int PART_SIZE = S3ReplicaClient.MIN_PART_SIZE;

	private static final Instant TIMESTAMP = Instant.parse("2026-01-02T03:04:05.678Z");

	@TempDir
	Path dir;

	private RecordingProxy proxy;

	private S3ReplicaClientFactory factory;

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

	private ReplicaClient replica(Consumer<LitestreamProperties.Replica> customizer) {
		String bucket = s3.server().createBucket("headers");
		LitestreamProperties.Replica replica = new LitestreamProperties.Replica();
		replica.setUrl(URI.create("s3://" + bucket + "/db"));
		// No force-path-style: the profile of a host:port endpoint sets it
		replica.setEndpoint(this.proxy.endpoint());
		replica.setRegion(s3.server().region());
		replica.setAccessKeyId(s3.server().accessKey());
		replica.setSecretAccessKey(s3.server().secretKey());
		replica.setPartSize(org.springframework.util.unit.DataSize.ofBytes(PART_SIZE));
		customizer.accept(replica);
		return this.factory.create(replica, "litestream.replicas[0]", (String) null);
	}

	/**
	 * Writes a small file, a multipart one, lists, reads and downloads in ranges, and
	 * deletes: every kind of request a replica makes.
	 */
	private void exercise(ReplicaClient client) throws IOException {
		client.writeFile(0, 1, 1, TIMESTAMP, new java.io.ByteArrayInputStream(new byte[1000]));
		client.writeFile(9, 1, 2, TIMESTAMP, new java.io.ByteArrayInputStream(new byte[2 * PART_SIZE + 10]));
		List<LtxFileInfo> files = client.listFiles(9, 0);
		assertThat(files).hasSize(1);
		try (InputStream in = client.openFile(0, 1, 1)) {
			assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(1000);
		}
		Path target = this.dir.resolve("download.ltx");
		client.download(9, 1, 2, target);
		assertThat(Files.size(target)).isEqualTo(2L * PART_SIZE + 10);
		client.deleteFiles(files);
	}

	@Test
	void customEndpointGetsNoOptionalChecksumsNorAwsChunkedUploads() throws IOException {
		try (ReplicaClient client = replica((replica) -> {
		})) {
			exercise(client);
		}
		List<RecordingProxy.Request> requests = this.proxy.requests();
		assertThat(requests).extracting(RecordingProxy.Request::method).contains("PUT", "POST", "GET");
		assertThat(requests).allSatisfy((request) -> {
			assertThat(request.header("content-encoding")).as("%s", request).isNull();
			assertThat(request.header("x-amz-content-sha256")).as("%s", request)
				.isNotNull()
				.doesNotStartWith("STREAMING")
				.isNotEqualTo("UNSIGNED-PAYLOAD");
			assertThat(request.header("x-amz-trailer")).as("%s", request).isNull();
			assertThat(request.trailers()).as("%s", request).isEmpty();
			assertThat(request.header("x-amz-checksum-mode")).as("%s", request).isNull();
			if (!request.hasQuery("delete")) {
				assertThat(request.header("x-amz-sdk-checksum-algorithm")).as("%s", request).isNull();
				assertThat(request.headers().keySet()).as("%s", request)
					.noneMatch((name) -> name.startsWith("x-amz-checksum-"));
			}
			// Path style, from the profile of a host:port endpoint
			assertThat(request.target()).as("%s", request).startsWith("/headers-");
		});
		// DeleteObjects is the one operation S3 requires a checksum for: the SDK sends a
		// CRC32 header (never a trailer) and, for S3-compatible stores that know only
		// that, Content-MD5
		assertThat(requests).filteredOn((request) -> request.hasQuery("delete"))
			.singleElement()
			.satisfies((request) -> assertThat(request.header("content-md5")).isNotNull());
	}

	@Test
	void applicationClientIsUsedUnchangedUnlessTheReplicaTurnsChecksumsOff() throws IOException {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		try (S3Client application = s3.server().clientBuilder().endpointOverride(this.proxy.endpoint()).build()) {
			beans.registerSingleton("s3Client", application);
			S3ReplicaClientFactory factory = new S3ReplicaClientFactory(beans.getBeanProvider(S3Client.class),
					beans.getBeanProvider(S3RequestListenerFactory.class));
			String bucket = s3.server().createBucket("shared");
			LitestreamProperties.Replica replica = new LitestreamProperties.Replica();
			replica.setUrl(URI.create("s3://" + bucket + "/db"));
			try (ReplicaClient client = factory.create(replica, "litestream.replicas[0]", (String) null)) {
				client.writeFile(0, 1, 1, TIMESTAMP, new java.io.ByteArrayInputStream(new byte[1000]));
			}
			assertThat(this.proxy.requests()).filteredOn((request) -> request.method().equals("PUT"))
				.singleElement()
				.satisfies((request) -> assertThat(request.headers().keySet())
					.anyMatch((name) -> name.startsWith("x-amz-checksum-")
							|| name.equals("x-amz-sdk-checksum-algorithm") || name.equals("x-amz-trailer")));
			this.proxy.clear();
			replica.setChecksums(false);
			try (ReplicaClient client = factory.create(replica, "litestream.replicas[0]", (String) null)) {
				client.writeFile(0, 2, 2, TIMESTAMP, new java.io.ByteArrayInputStream(new byte[1000]));
			}
			assertThat(this.proxy.requests()).filteredOn((request) -> request.method().equals("PUT"))
				.singleElement()
				.satisfies((request) -> {
					assertThat(request.header("x-amz-sdk-checksum-algorithm")).isNull();
					assertThat(request.header("x-amz-trailer")).isNull();
					assertThat(request.header("content-encoding")).isNull();
					assertThat(request.header("x-amz-content-sha256")).doesNotStartWith("STREAMING");
				});
			factory.destroy();
		}
	}

	@Test
	void checksumsCanBeTurnedBackOnForACustomEndpoint() throws IOException {
		try (ReplicaClient client = replica((replica) -> replica.setChecksums(true))) {
			client.writeFile(0, 1, 1, TIMESTAMP, new java.io.ByteArrayInputStream(new byte[1000]));
		}
		// What the SDK sends by default: the proxy sees it, so the test above can fail
		assertThat(this.proxy.requests()).filteredOn((request) -> request.method().equals("PUT"))
			.singleElement()
			.satisfies((request) -> assertThat(request.headers().keySet())
				.anyMatch((name) -> name.toLowerCase(Locale.ROOT).startsWith("x-amz-checksum-")
						|| name.equals("x-amz-sdk-checksum-algorithm") || name.equals("x-amz-trailer")));
	}

}
