package io.github.litestream.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.github.litestream.actuate.LitestreamEndpoint;
import io.github.litestream.actuate.LitestreamHealthIndicator;
import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.jdbc.LitestreamDataSource;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.metrics.LitestreamMetrics;
import io.github.litestream.ownership.LeaseConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.actuate.audit.AuditEvent;
import org.springframework.boot.actuate.audit.AuditEventRepository;
import org.springframework.boot.actuate.audit.InMemoryAuditEventRepository;
import org.springframework.boot.actuate.audit.listener.AuditApplicationEvent;
import org.springframework.boot.actuate.audit.listener.AuditListener;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.OperationType;
import org.springframework.boot.actuate.endpoint.web.ExposableWebEndpoint;
import org.springframework.boot.actuate.endpoint.web.WebEndpointsSupplier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.DataSourceUnwrapper;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the Litestream auto-configurations.
 */
class LitestreamAutoConfigurationTests {

	private static final AutoConfigurations LITESTREAM = AutoConfigurations.of(DataSourceAutoConfiguration.class,
			LitestreamAutoConfiguration.class, LitestreamEndpointAutoConfiguration.class,
			LitestreamHealthAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class);

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner().withConfiguration(LITESTREAM)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("data/app.db"),
					"litestream.replicas[0].url=" + this.dir.resolve("replica").toUri(),
					"litestream.monitor-interval=50ms", "litestream.replicas[0].sync-interval=0s");
	}

	@Test
	void applicationThatFailsToStartAfterTheStartupRestoreReleasesTheLease() throws Exception {
		runner().withUserConfiguration(FailsAfterTheRestore.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasStackTraceContaining("a migration failed");
		});
		// Released at once, not left to expire: a handed-over instance takes the
		// database back, a restart need not wait for the TTL
		assertThat(Files.readString(this.dir.resolve("replica/lock.json"))).contains("0001-01-01");
	}

	@Test
	void defaultsWrapTheSqliteDataSourceAndStartReplication() {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(LitestreamDatabases.class)
				.hasSingleBean(LitestreamLifecycle.class)
				.hasSingleBean(LitestreamStartupRestore.class)
				.hasSingleBean(FileReplicaClientFactory.class)
				.hasSingleBean(LitestreamHealthIndicator.class);
			assertThat(context.getBean(DataSource.class)).isInstanceOf(LitestreamDataSource.class);
			LitestreamDatabase database = context.getBean(LitestreamDatabases.class).get("dataSource");
			assertThat(database).isNotNull();
			assertThat(database.getPath()).isEqualTo(this.dir.resolve("data/app.db").toAbsolutePath());
			assertThat(database.getReplicas()).singleElement()
				.satisfies((replica) -> assertThat(replica.name()).isEqualTo("file"));
			assertThat(database.isRunning()).isTrue();
		});
	}

	@Test
	void wrappedDataSourceUnwrapsToHikari() {
		runner().run((context) -> {
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource.isWrapperFor(HikariDataSource.class)).isTrue();
			assertThat(dataSource.unwrap(HikariDataSource.class)).isInstanceOf(HikariDataSource.class);
			assertThat(DataSourceUnwrapper.unwrap(dataSource, HikariDataSource.class))
				.isInstanceOf(HikariDataSource.class);
		});
	}

	@Test
	void connectionsAreConfiguredForTheEngine() {
		runner().run((context) -> {
			try (Connection connection = context.getBean(DataSource.class).getConnection();
					Statement statement = connection.createStatement()) {
				assertThat(queryString(statement, "PRAGMA journal_mode")).isEqualTo("wal");
				assertThat(queryString(statement, "PRAGMA wal_autocheckpoint")).isEqualTo("0");
				assertThat(queryString(statement, "PRAGMA busy_timeout"))
					.isEqualTo(String.valueOf(ReplicationDefaults.APPLICATION_BUSY_TIMEOUT.toMillis()));
			}
		});
	}

	@Test
	void disabledLeavesTheDataSourceAlone() {
		runner().withPropertyValues("litestream.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(LitestreamDatabases.class);
			assertThat(context.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
		});
	}

	@Test
	void nonSqliteDataSourceIsLeftAlone() {
		new ApplicationContextRunner().withConfiguration(LITESTREAM)
			.withUserConfiguration(OtherDataSourceConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(DataSource.class)).isInstanceOf(SimpleDriverDataSource.class);
				assertThat(context.getBean(LitestreamDatabases.class).getAll()).isEmpty();
			});
	}

	@Test
	void backsOffToUserBeans() {
		runner().withUserConfiguration(UserBeansConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean("litestreamHealthIndicator")).isSameAs(UserBeansConfiguration.HEALTH);
			assertThat(context).getBean(LitestreamMetrics.class).isSameAs(UserBeansConfiguration.METRICS);
		});
	}

	@Test
	void withoutActuatorThereIsNoEndpointOrHealth() {
		runner()
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.actuate", "org.springframework.boot.health"))
			.withPropertyValues("management.endpoints.web.exposure.include=*")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(LitestreamDatabases.class)
				.doesNotHaveBean(LitestreamEndpoint.class)
				.doesNotHaveBean(LitestreamHealthIndicator.class));
	}

	@Test
	void withoutMicrometerThereAreNoMeters() {
		runner().withClassLoader(new FilteredClassLoader("io.micrometer"))
			.withBean(SimpleMeterRegistry.class)
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LitestreamMetrics.class));
	}

	@Test
	void metersAreBoundWhenARegistryExists() {
		runner().withBean(SimpleMeterRegistry.class).run((context) -> {
			assertThat(context).hasSingleBean(LitestreamMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			context.getBean(LitestreamMetrics.class).bindTo(registry);
			Gauge lag = registry.get("litestream.replica.lag").tag("database", "dataSource").gauge();
			// The first L0 file is written at start, after the lease is acquired; the lag
			// is 0 once the replica holds it.
			await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(lag.value()).isEqualTo(0.0));
			assertThat(registry.get("litestream.lease.held").tag("replica", "file").gauge().value()).isEqualTo(1.0);
			assertThat(registry.find("litestream.lease.acquisitions").counter()).isNotNull();
			assertThat(registry.find("litestream.txid").gauge()).isNotNull();
			assertThat(registry.find("litestream.sync").timer()).isNotNull();
		});
	}

	@Test
	void endpointIsOnlyCreatedWhenExposed() {
		runner().run((context) -> assertThat(context).doesNotHaveBean(LitestreamEndpoint.class));
		runner().withPropertyValues("management.endpoints.web.exposure.include=litestream")
			.run((context) -> assertThat(context).hasSingleBean(LitestreamEndpoint.class));
	}

	@Test
	void writeOperationsAreAuditEventsWhenAnAuditEventRepositoryExists() {
		// Boot's AuditListener as AuditAutoConfiguration registers it (which, in Boot
		// 4.1,
		// also needs Spring Security on the classpath)
		runner().withBean(InMemoryAuditEventRepository.class)
			.withBean(AuditListener.class)
			.withPropertyValues("management.endpoints.web.exposure.include=litestream")
			.run((context) -> {
				context.getBean(LitestreamEndpoint.class).operate("dataSource", "sync", null, null, () -> "operator");
				List<AuditEvent> events = context.getBean(AuditEventRepository.class)
					.find("operator", null, "LITESTREAM_SYNC");
				assertThat(events).singleElement()
					.satisfies((event) -> assertThat(event.getData()).containsEntry("database", "dataSource")
						.containsEntry("outcome", "success"));
			});
	}

	@Test
	void writeOperationsPublishNoAuditEventsWithoutAnAuditEventRepository() {
		runner().withBean(AuditEventCollector.class)
			.withPropertyValues("management.endpoints.web.exposure.include=litestream")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(AuditEventRepository.class);
				context.getBean(LitestreamEndpoint.class).operate("dataSource", "sync", null, null, () -> "operator");
				assertThat(context.getBean(AuditEventCollector.class).events).isEmpty();
			});
	}

	@Test
	void writeOperationsAreDeniedByDefault() {
		webRunner().run((context) -> assertThat(operationTypes(context.getBean(WebEndpointsSupplier.class)))
			.containsOnly(OperationType.READ));
		webRunner().withPropertyValues("management.endpoint.litestream.access=unrestricted")
			.run((context) -> assertThat(operationTypes(context.getBean(WebEndpointsSupplier.class)))
				.contains(OperationType.READ, OperationType.WRITE));
	}

	private WebApplicationContextRunner webRunner() {
		return new WebApplicationContextRunner()
			.withInitializer(
					(context) -> context.getEnvironment().setConversionService(new ApplicationConversionService()))
			.withConfiguration(
					AutoConfigurations.of(EndpointAutoConfiguration.class, WebEndpointAutoConfiguration.class))
			.withConfiguration(LITESTREAM)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("data/app.db"),
					"management.endpoints.web.exposure.include=litestream");
	}

	private static Stream<OperationType> operationTypes(WebEndpointsSupplier supplier) {
		return supplier.getEndpoints()
			.stream()
			.filter((endpoint) -> endpoint.getEndpointId().toString().equals("litestream"))
			.map(ExposableWebEndpoint::getOperations)
			.flatMap((operations) -> operations.stream())
			.map((operation) -> operation.getType());
	}

	@Test
	void s3ReplicaWithoutTheS3ClientFailsNamingTheProperty() {
		runner().withClassLoader(new FilteredClassLoader("software.amazon.awssdk"))
			.withPropertyValues("litestream.replicas[0].url=s3://bucket/app")
			.run((context) -> {
				FailureAnalysis analysis = analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("litestream.replicas[0].url", "s3://bucket/app");
				assertThat(analysis.getAction()).contains("spring-cloud-aws-starter-s3");
			});
	}

	@Test
	void unknownReplicaSchemeFailsNamingTheProperty() {
		runner().withPropertyValues("litestream.replicas[0].url=ftp://host/dir").run((context) -> {
			FailureAnalysis analysis = analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains("litestream.replicas[0].url", "'ftp'");
			assertThat(analysis.getAction()).contains("s3://bucket/prefix");
		});
	}

	@Test
	void unwritableReplicaDirectoryFailsNamingTheProperty() throws Exception {
		Path file = Files.createFile(this.dir.resolve("not-a-directory"));
		runner().withPropertyValues("litestream.replicas[0].url=" + file.resolve("replica").toUri()).run((context) -> {
			FailureAnalysis analysis = analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains("litestream.replicas[0].url", "cannot be created");
		});
	}

	@Test
	void unwritableDatabaseDirectoryFailsNamingTheProperty() throws Exception {
		Path file = Files.createFile(this.dir.resolve("not-a-directory"));
		runner().withPropertyValues("spring.datasource.url=jdbc:sqlite:" + file.resolve("app.db")).run((context) -> {
			FailureAnalysis analysis = analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains("spring.datasource.url");
		});
	}

	@Test
	void badEngineSettingFailsNamingTheProperty() {
		runner().withPropertyValues("litestream.monitor-interval=0s").run((context) -> {
			FailureAnalysis analysis = analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains("litestream.monitor-interval");
			assertThat(analysis.getAction()).contains("litestream.monitor-interval");
		});
	}

	@Test
	void defaultValuesAreConsistent() {
		LitestreamProperties properties = new LitestreamProperties();
		assertThat(properties.isEnabled()).isTrue();
		assertThat(properties.getMonitorInterval()).isEqualTo(ReplicationDefaults.MONITOR_INTERVAL);
		assertThat(properties.getCheckpointInterval()).isEqualTo(ReplicationDefaults.CHECKPOINT_INTERVAL);
		assertThat(properties.getMinCheckpointPageCount()).isEqualTo(ReplicationDefaults.MIN_CHECKPOINT_PAGE_COUNT);
		assertThat(properties.getTruncatePageCount()).isEqualTo(ReplicationDefaults.TRUNCATE_PAGE_COUNT);
		assertThat(properties.getBusyTimeout()).isEqualTo(ReplicationDefaults.BUSY_TIMEOUT);
		assertThat(properties.getSnapshot().getInterval()).isEqualTo(ReplicationDefaults.SNAPSHOT_INTERVAL);
		assertThat(properties.getSnapshot().getRetention()).isEqualTo(ReplicationDefaults.SNAPSHOT_RETENTION);
		assertThat(properties.getLevels()).isEqualTo(ReplicationDefaults.LEVEL_INTERVALS);
		assertThat(properties.getL0Retention()).isEqualTo(ReplicationDefaults.L0_RETENTION);
		assertThat(properties.getRestore().getParallelism()).isEqualTo(ReplicationDefaults.RESTORE_PARALLELISM);
		assertThat(properties.getShutdownSyncTimeout()).isEqualTo(ReplicationDefaults.SHUTDOWN_SYNC_TIMEOUT);
		assertThat(new LitestreamProperties.Replica().getSyncInterval()).isEqualTo(ReplicationDefaults.SYNC_INTERVAL);
		assertThat(properties.getRestore().getOnStartup()).isEqualTo(LitestreamProperties.OnStartup.IF_MISSING);
		assertThat(properties.getLease().isEnabled()).isEqualTo(LeaseConfig.DEFAULT.enabled());
		assertThat(properties.getLease().getTtl()).isEqualTo(ReplicationDefaults.LEASE_TTL);
		assertThat(properties.getLease().getRenewInterval()).isEqualTo(ReplicationDefaults.LEASE_RENEW_INTERVAL);
	}

	@Test
	void leaseRenewIntervalAboveAThirdOfTheTtlFailsStartupNamingTheProperty() {
		runner().withPropertyValues("litestream.lease.ttl=3s", "litestream.lease.renew-interval=2s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("litestream.lease.renew-interval")
				.hasMessageContaining("with value '2s'"));
	}

	@Test
	void missingDatabaseIsRestoredOnStartupAndNewDatabaseStartsEmpty() {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			DataSource dataSource = context.getBean(DataSource.class);
			try (Connection connection = dataSource.getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
				statement.execute("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')");
			}
			LitestreamDatabase database = context.getBean(LitestreamDatabases.class).get("dataSource");
			assertThat(database.sync().replicated()).isTrue();
		});
		deleteDatabase();
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			try (Connection connection = context.getBean(DataSource.class).getConnection();
					Statement statement = connection.createStatement()) {
				assertThat(queryString(statement, "SELECT COUNT(*) FROM t")).isEqualTo("3");
			}
		});
	}

	@Test
	void corruptReplicaStopsStartupInsteadOfStartingEmpty() throws Exception {
		runner().run((context) -> {
			try (Connection connection = context.getBean(DataSource.class).getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
			}
			context.getBean(LitestreamDatabases.class).get("dataSource").sync();
		});
		deleteDatabase();
		try (Stream<Path> files = Files.walk(this.dir.resolve("replica"))) {
			for (Path file : files.filter((f) -> f.toString().endsWith(".ltx")).toList()) {
				Files.write(file, new byte[] { 1, 2, 3 });
			}
		}
		runner().run((context) -> {
			FailureAnalysis analysis = analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains("Restoring database 'dataSource'", "did not start");
			assertThat(analysis.getAction()).contains("move the replica's files away");
			assertThat(this.dir.resolve("data/app.db")).doesNotExist();
		});
	}

	private void deleteDatabase() {
		try (Stream<Path> files = Files.walk(this.dir.resolve("data"))) {
			files.sorted(java.util.Comparator.reverseOrder()).forEach((file) -> file.toFile().delete());
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	private static FailureAnalysis analyze(Throwable failure) {
		assertThat(failure).isNotNull();
		FailureAnalysis analysis = new LitestreamConfigurationFailureAnalyzer().analyze(failure);
		if (analysis == null) {
			analysis = new StartupRestoreFailureAnalyzer().analyze(failure);
		}
		assertThat(analysis).as("failure analysis of %s", failure).isNotNull();
		return analysis;
	}

	private static String queryString(Statement statement, String sql) throws Exception {
		try (ResultSet rs = statement.executeQuery(sql)) {
			rs.next();
			return rs.getString(1);
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class FailsAfterTheRestore {

		@Bean
		Object failingMigration(DataSource dataSource) throws Exception {
			try (Connection connection = dataSource.getConnection()) {
				// The startup restore ran (and took the lease) before this connection
			}
			throw new IllegalStateException("a migration failed");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OtherDataSourceConfiguration {

		@Bean
		SimpleDriverDataSource dataSource() {
			SimpleDriverDataSource dataSource = new SimpleDriverDataSource();
			dataSource.setUrl("jdbc:other://localhost/db");
			return dataSource;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserBeansConfiguration {

		static final LitestreamHealthIndicator HEALTH = new LitestreamHealthIndicator(new LitestreamDatabases(),
				Duration.ofSeconds(5));

		static final LitestreamMetrics METRICS = new LitestreamMetrics(new LitestreamDatabases());

		@Bean
		LitestreamHealthIndicator litestreamHealthIndicator() {
			return HEALTH;
		}

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

		@Bean
		LitestreamMetrics userMetrics() {
			return METRICS;
		}

	}

	static class AuditEventCollector implements ApplicationListener<AuditApplicationEvent> {

		final List<AuditApplicationEvent> events = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(AuditApplicationEvent event) {
			this.events.add(event);
		}

	}

}
