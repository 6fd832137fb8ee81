package io.github.litestream.autoconfigure;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import javax.sql.DataSource;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.jdbc.StartupRestoreException;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.S3Server;
import io.github.litestream.testsupport.S3ServerExtension;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the S3 replica wiring of {@link LitestreamAutoConfiguration}, against the
 * test run's S3 server.
 */
class S3ReplicaAutoConfigurationTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final AutoConfigurations LITESTREAM = AutoConfigurations.of(DataSourceAutoConfiguration.class,
			LitestreamAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class);

	private static final String SECRET_MARKER = "do-not-log-this-secret";

	@TempDir
	Path dir;

	private ApplicationContextRunner runner(String url) {
		return new ApplicationContextRunner().withConfiguration(LITESTREAM)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("data/app.db"),
					"litestream.replicas[0].url=" + url, "litestream.monitor-interval=50ms",
					"litestream.replicas[0].sync-interval=0s");
	}

	/**
	 * A replica with its own endpoint, region, path style and keys: everything a
	 * dedicated client needs, whatever the application's S3Client bean says.
	 */
	private static String[] overrides(String secret) {
		S3Server server = s3.server();
		return new String[] { "litestream.replicas[0].endpoint=" + server.endpoint(),
				"litestream.replicas[0].region=" + server.region(), "litestream.replicas[0].force-path-style=true",
				"litestream.replicas[0].access-key-id=" + server.accessKey(),
				"litestream.replicas[0].secret-access-key=" + secret };
	}

	@Test
	void s3FactoryIsPresentWithTheSdk() {
		runner("file:///tmp/unused").withPropertyValues("litestream.replicas[0].url=" + this.dir.toUri())
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(S3ReplicaClientFactory.class));
	}

	@Test
	void s3FactoryIsAbsentWithoutTheSdk() {
		runner(this.dir.resolve("replica").toUri().toString()).withClassLoader(new FilteredClassLoader(S3Client.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(S3ReplicaClientFactory.class)
				.hasSingleBean(FileReplicaClientFactory.class));
	}

	@Test
	void replicaUsesTheApplicationS3ClientAndCountsRequests() {
		String bucket = s3.server().createBucket("app-client");
		runner("s3://" + bucket + "/backups/app").withUserConfiguration(S3ClientConfiguration.class, Registry.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				LitestreamDatabase database = context.getBean(LitestreamDatabases.class).get("dataSource");
				ReplicaClient client = database.getReplicas().get(0).client();
				assertThat(client).isInstanceOf(S3ReplicaClient.class);
				assertThat(client.location()).isEqualTo("s3://" + bucket + "/backups/app");
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				context.getBean(io.github.litestream.metrics.LitestreamMetrics.class).bindTo(registry);
				writeRows(context.getBean(DataSource.class));
				assertThat(database.sync().replicated()).isTrue();
				// The L0 files, and the replica's lease
				assertThat(keys(bucket)).contains("backups/app/lock.json")
					.allMatch((key) -> key.startsWith("backups/app/000") || key.equals("backups/app/lock.json"))
					.anyMatch((key) -> key.startsWith("backups/app/0009/"));
				assertThat(count(registry, "PUT", "success")).isPositive();
				assertThat(count(registry, "PUT", "error")).isZero();
				// S3 replicas report every kind of request, so every kind has its meter
				assertThat(count(registry, "LIST", "success")).isNotNegative();
				assertThat(registry.get("litestream.replica.bytes").counter().count()).isPositive();
				assertThat(registry.get("litestream.replica.operations")
					.tags("operation", "DELETE", "outcome", "error")
					.counter()
					.count()).isZero();
			});
	}

	@Test
	void replicaWithOverridesGetsADedicatedClient() {
		String bucket = s3.server().createBucket("overrides");
		// The application's client signs with keys the server rejects: only the
		// replica's own settings can make this work
		runner("s3://" + bucket + "/db").withUserConfiguration(WrongS3ClientConfiguration.class)
			.withPropertyValues(overrides(s3.server().secretKey()))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				LitestreamDatabase database = context.getBean(LitestreamDatabases.class).get("dataSource");
				writeRows(context.getBean(DataSource.class));
				assertThat(database.sync().replicated()).isTrue();
				assertThat(keys(bucket)).contains("db/lock.json")
					.allMatch((key) -> key.startsWith("db/000") || key.equals("db/lock.json"))
					.anyMatch((key) -> key.startsWith("db/0009/"));
			});
	}

	@Test
	void severalDatabasesReplicateUnderTheirNames() {
		String bucket = s3.server().createBucket("shared");
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		beans.registerSingleton("s3Client", s3.server().client());
		S3ReplicaClientFactory factory = new S3ReplicaClientFactory(beans.getBeanProvider(S3Client.class),
				beans.getBeanProvider(S3RequestListenerFactory.class));
		LitestreamProperties.Replica replica = new LitestreamProperties.Replica();
		replica.setUrl(java.net.URI.create("s3://" + bucket + "/prefix/"));
		ReplicaClient client = factory.create(replica, "litestream.replicas[0]",
				new ReplicaClientFactory.Target("orders", "s3", true));
		assertThat(client.location()).isEqualTo("s3://" + bucket + "/prefix/orders");
		assertThat(factory.create(replica, "litestream.replicas[0]", (String) null).location())
			.isEqualTo("s3://" + bucket + "/prefix");
	}

	@Test
	void emptyPrefixFailsStartupInsteadOfFailingEveryList() {
		String bucket = s3.server().createBucket("root");
		// S3Proxy answers LIST prefix=/0000/ (Litestream's keys for an empty prefix) with
		// 400: replication used to start and fail on every request
		runner("s3://" + bucket + "/").withUserConfiguration(S3ClientConfiguration.class).run((context) -> {
			FailureAnalysis analysis = new LitestreamConfigurationFailureAnalyzer()
				.analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("litestream.replicas[0].url", "s3://" + bucket + "/",
					"needs a prefix");
			assertThat(analysis.getAction()).contains("s3://" + bucket + "/app-db");
		});
	}

	@Test
	void halfConfiguredCredentialsFailNamingTheMissingProperty() {
		runner("s3://bucket/db").withPropertyValues("litestream.replicas[0].access-key-id=AKID").run((context) -> {
			FailureAnalysis analysis = new LitestreamConfigurationFailureAnalyzer()
				.analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("litestream.replicas[0].secret-access-key");
		});
	}

	@Test
	void missingBucketFailsStartupNamingReplicaBucketAndEndpoint() {
		String bucket = "no-such-bucket-" + System.nanoTime();
		runner("s3://" + bucket + "/db").withPropertyValues(overrides(s3.server().secretKey()))
			.withPropertyValues("litestream.replicas[0].name=backup")
			.run((context) -> assertStartupFailure(context.getStartupFailure(), bucket, s3.server().endpoint()));
	}

	@Test
	void wrongCredentialsFailStartupWithoutShowingTheSecret() {
		String bucket = s3.server().createBucket("credentials");
		runner("s3://" + bucket + "/db").withPropertyValues(overrides(SECRET_MARKER))
			.withPropertyValues("litestream.replicas[0].name=backup")
			.run((context) -> assertStartupFailure(context.getStartupFailure(), bucket, s3.server().endpoint()));
	}

	@Test
	void unreachableEndpointFailsStartupNamingReplicaBucketAndEndpoint() throws Exception {
		java.net.URI endpoint;
		// A port that was free a moment ago: nothing listens there
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			endpoint = java.net.URI.create("http://127.0.0.1:" + socket.getLocalPort());
		}
		String[] settings = overrides(SECRET_MARKER);
		settings[0] = "litestream.replicas[0].endpoint=" + endpoint;
		// An unreachable replica may be a passing partition: the lease is waited for, up
		// to the startup timeout
		runner("s3://unreachable/db").withPropertyValues(settings)
			.withPropertyValues("litestream.replicas[0].name=backup", "litestream.lease.startup-timeout=3s")
			.run((context) -> assertStartupFailure(context.getStartupFailure(), "unreachable", endpoint));
	}

	private static void assertStartupFailure(Throwable failure, String bucket, java.net.URI endpoint) {
		assertThat(failure).isNotNull();
		StringBuilder messages = new StringBuilder();
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			messages.append(cause.getMessage()).append('\n');
		}
		StartupRestoreException restore = findCause(failure, StartupRestoreException.class);
		assertThat(restore).as(messages.toString()).isNotNull();
		assertThat(restore.getMessage()).contains("'backup'", "s3://" + bucket + "/db", "bucket '" + bucket + "'",
				endpoint.getHost() + ":" + endpoint.getPort());
		FailureAnalysis analysis = new StartupRestoreFailureAnalyzer().analyze(failure);
		assertThat(analysis).isNotNull();
		assertThat(messages + analysis.getDescription() + analysis.getAction()).doesNotContain(SECRET_MARKER)
			.doesNotContain(s3.server().secretKey());
	}

	private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (type.isInstance(cause)) {
				return type.cast(cause);
			}
		}
		return null;
	}

	private static double count(MeterRegistry registry, String operation, String outcome) {
		return registry.get("litestream.replica.operations")
			.tags("operation", operation, "outcome", outcome)
			.counter()
			.count();
	}

	private static void writeRows(DataSource dataSource) throws Exception {
		try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
			statement.execute("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')");
		}
	}

	private static List<String> keys(String bucket) {
		return s3.server()
			.client()
			.listObjectsV2((request) -> request.bucket(bucket))
			.contents()
			.stream()
			.map(S3Object::key)
			.toList();
	}

	@Configuration(proxyBeanMethods = false)
	static class S3ClientConfiguration {

		@Bean(destroyMethod = "")
		S3Client s3Client() {
			return s3.server().client();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class WrongS3ClientConfiguration {

		@Bean
		S3Client s3Client() {
			return S3Client.builder()
				.endpointOverride(java.net.URI.create("http://127.0.0.1:9"))
				.region(software.amazon.awssdk.regions.Region.of(s3.server().region()))
				.credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider
					.create(software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("wrong", "wrong")))
				.build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class Registry {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

}
