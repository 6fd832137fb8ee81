package io.github.litestream.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.util.function.Consumer;

import io.github.litestream.storage.s3.S3ReplicaClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * How {@link S3ReplicaClientFactory} turns the S3 transfer and encryption properties of a
 * replica into a client, and the messages of bad values. No request is made.
 */
class S3ReplicaClientFactoryTests {

	private static final String PROPERTY = "litestream.replicas[0]";

	@TempDir
	Path dir;

	private final S3ReplicaClientFactory factory = new S3ReplicaClientFactory(
			new DefaultListableBeanFactory().getBeanProvider(S3Client.class),
			new DefaultListableBeanFactory().getBeanProvider(S3RequestListenerFactory.class));

	@AfterEach
	void destroy() {
		this.factory.destroy();
	}

	private S3ReplicaClient create(Consumer<LitestreamProperties.Replica> customizer) {
		LitestreamProperties.Replica replica = new LitestreamProperties.Replica();
		replica.setUrl(URI.create("s3://bucket/db"));
		replica.setRegion("us-east-1");
		replica.setAccessKeyId("AKID");
		replica.setSecretAccessKey("secret");
		customizer.accept(replica);
		return (S3ReplicaClient) this.factory.create(replica, PROPERTY, (String) null);
	}

	@Test
	void defaultsAreThoseOfTheClient() {
		S3ReplicaClient client = create((replica) -> {
		});
		assertThat(client.partSize()).isEqualTo(S3ReplicaClient.DEFAULT_PART_SIZE);
		assertThat(client.uploadConcurrency()).isEqualTo(S3ReplicaClient.DEFAULT_UPLOAD_CONCURRENCY);
		assertThat(client.encryption().isCustomerKey()).isFalse();
		assertThat(client.encryption().kmsKeyId()).isNull();
	}

	@Test
	void cloudflareR2UploadsTwoPartsAtATimeUnlessSetExplicitly() {
		URI r2 = URI.create("https://0123abcd.r2.cloudflarestorage.com");
		assertThat(create((replica) -> replica.setEndpoint(r2)).uploadConcurrency()).isEqualTo(2);
		assertThat(create((replica) -> {
			replica.setEndpoint(r2);
			replica.setUploadConcurrency(1);
		}).uploadConcurrency()).isEqualTo(1);
	}

	@Test
	void partSizeAndUploadConcurrencyAreApplied() {
		S3ReplicaClient client = create((replica) -> {
			replica.setPartSize(DataSize.ofMegabytes(16));
			replica.setUploadConcurrency(4);
		});
		assertThat(client.partSize()).isEqualTo(16 * 1024 * 1024);
		assertThat(client.uploadConcurrency()).isEqualTo(4);
	}

	@Test
	void partSizeBelowTheS3MinimumFailsNamingTheProperty() {
		assertThatExceptionOfType(LitestreamConfigurationException.class)
			.isThrownBy(() -> create((replica) -> replica.setPartSize(DataSize.ofMegabytes(1))))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo(PROPERTY + ".part-size");
				assertThat(ex.getMessage()).contains("1048576B", "5MB");
			});
	}

	@Test
	void uploadConcurrencyBelowOneFailsNamingTheProperty() {
		assertThatExceptionOfType(LitestreamConfigurationException.class)
			.isThrownBy(() -> create((replica) -> replica.setUploadConcurrency(0)))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo(PROPERTY + ".upload-concurrency"));
	}

	@Test
	void sseKmsKeyIsApplied() {
		assertThat(create((replica) -> replica.setSseKmsKeyId("alias/litestream")).encryption().kmsKeyId())
			.isEqualTo("alias/litestream");
	}

	@Test
	void missingSseCustomerKeyFileFailsNamingThePropertyAndTheFile() {
		Path missing = this.dir.resolve("missing.key");
		assertThatExceptionOfType(LitestreamConfigurationException.class)
			.isThrownBy(() -> create((replica) -> replica.setSseCustomerKeyPath(missing)))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo(PROPERTY + ".sse-customer-key-path");
				assertThat(ex.getMessage()).contains(missing.toString());
			});
	}

	@Test
	void unsupportedSseCustomerAlgorithmFailsNamingTheProperty() {
		assertThatExceptionOfType(LitestreamConfigurationException.class).isThrownBy(() -> create((replica) -> {
			replica.setSseCustomerKey("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
			replica.setSseCustomerAlgorithm("AES128");
		})).satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo(PROPERTY + ".sse-customer-algorithm"));
	}

	@Test
	void sseCustomerKeyToAwsOverHttpsIsAccepted() {
		S3ReplicaClient client = create(
				(replica) -> replica.setSseCustomerKey("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="));
		assertThat(client.encryption().isCustomerKey()).isTrue();
		assertThat(client.encryption().toString()).isEqualTo("SSE-C (AES256)");
	}

}
