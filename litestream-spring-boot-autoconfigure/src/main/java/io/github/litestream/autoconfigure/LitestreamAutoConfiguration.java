package io.github.litestream.autoconfigure;

import javax.sql.DataSource;

import io.github.litestream.core.ReplicationListener;
import io.github.litestream.jdbc.LitestreamDatabases;
import org.sqlite.JDBC;
import software.amazon.awssdk.services.s3.S3Client;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.web.servlet.HandlerExceptionResolver;

/**
 * Auto-configuration for Litestream replication: wraps every SQLite DataSource, restores
 * missing databases on startup and runs replication.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass({ DataSource.class, DelegatingDataSource.class, JDBC.class })
@ConditionalOnBooleanProperty(name = "litestream.enabled", matchIfMissing = true)
@EnableConfigurationProperties(LitestreamProperties.class)
public final class LitestreamAutoConfiguration {

	@Bean
	static LitestreamDataSourcePostProcessor litestreamDataSourcePostProcessor(
			ObjectProvider<LitestreamProperties> properties, ObjectProvider<LitestreamDatabases> databases,
			ObjectProvider<ReplicaClientFactory> factories) {
		return new LitestreamDataSourcePostProcessor(properties, databases, factories);
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamDatabases litestreamDatabases() {
		return new LitestreamDatabases();
	}

	@Bean
	@ConditionalOnMissingBean
	FileReplicaClientFactory fileReplicaClientFactory() {
		return new FileReplicaClientFactory();
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamStartupRestore litestreamStartupRestore(ObjectProvider<DataSource> dataSources,
			LitestreamDatabases databases) {
		return new LitestreamStartupRestore(dataSources, databases);
	}

	@Bean
	LitestreamHandoverReadiness litestreamHandoverReadiness(ApplicationEventPublisher publisher) {
		return new LitestreamHandoverReadiness(publisher);
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamLifecycle litestreamLifecycle(LitestreamDatabases databases,
			ObjectProvider<ReplicationListener> listeners) {
		return new LitestreamLifecycle(databases, listeners);
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamTakeover litestreamTakeover(LitestreamDatabases databases) {
		return new LitestreamTakeover(databases);
	}

	/**
	 * Servlet web applications answer requests that reach an instance after it handed its
	 * database over with 503.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(HandlerExceptionResolver.class)
	@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
	static class HandoverWebConfiguration {

		@Bean
		DatabaseHandedOverExceptionResolver databaseHandedOverExceptionResolver() {
			return new DatabaseHandedOverExceptionResolver();
		}

	}

	/**
	 * A warm successor takes its database over before Flyway applies a pending migration
	 * (DESIGN 4.16).
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.flywaydb.core.Flyway")
	static class FlywayConfiguration {

		@Bean
		static FlywayPendingMigrations litestreamFlywayPendingMigrations() {
			return new FlywayPendingMigrations();
		}

	}

	/**
	 * A warm successor takes its database over before Liquibase runs (DESIGN 4.16).
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = LiquibaseStartup.SPRING_LIQUIBASE)
	static class LiquibaseConfiguration {

		@Bean
		static LiquibaseStartup litestreamLiquibaseStartup() {
			return new LiquibaseStartup();
		}

	}

	/**
	 * S3 replicas, when the AWS SDK's S3 client is on the classpath.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(S3Client.class)
	static class S3ReplicaConfiguration {

		@Bean
		@ConditionalOnMissingBean
		S3ReplicaClientFactory s3ReplicaClientFactory(ObjectProvider<S3Client> s3Client,
				ObjectProvider<S3RequestListenerFactory> requestListeners) {
			return new S3ReplicaClientFactory(s3Client, requestListeners);
		}

	}

}
