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
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DelegatingDataSource;

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
