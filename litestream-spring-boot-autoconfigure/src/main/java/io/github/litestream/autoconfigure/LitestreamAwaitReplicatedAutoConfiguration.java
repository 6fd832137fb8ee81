package io.github.litestream.autoconfigure;

import javax.sql.DataSource;

import io.github.litestream.durable.AwaitReplicated;
import io.github.litestream.durable.AwaitReplicatedPostProcessor;
import io.github.litestream.jdbc.LitestreamDatabases;
import org.sqlite.JDBC;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Auto-configuration for durable acknowledgement: methods annotated with
 * {@link AwaitReplicated} return only once their commit is on every replica.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass({ DataSource.class, JDBC.class, TransactionSynchronizationManager.class })
@ConditionalOnBooleanProperty(name = "litestream.enabled", matchIfMissing = true)
public final class LitestreamAwaitReplicatedAutoConfiguration {

	/**
	 * Static, like every bean post-processor, so it does not initialize this
	 * configuration early; the databases are looked up at the first wait.
	 */
	@Bean
	@ConditionalOnMissingBean
	static AwaitReplicatedPostProcessor awaitReplicatedPostProcessor(ObjectProvider<LitestreamDatabases> databases) {
		return new AwaitReplicatedPostProcessor(databases);
	}

}
