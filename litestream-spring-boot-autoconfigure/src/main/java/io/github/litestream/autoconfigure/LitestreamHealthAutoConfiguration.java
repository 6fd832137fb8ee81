package io.github.litestream.autoconfigure;

import io.github.litestream.actuate.LitestreamHealthIndicator;
import io.github.litestream.jdbc.LitestreamDatabases;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code litestream} health indicator.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(LitestreamDatabases.class)
public final class LitestreamHealthAutoConfiguration {

	@Bean
	@ConditionalOnEnabledHealthIndicator("litestream")
	@ConditionalOnMissingBean(name = "litestreamHealthIndicator")
	LitestreamHealthIndicator litestreamHealthIndicator(LitestreamDatabases databases,
			LitestreamProperties properties) {
		return new LitestreamHealthIndicator(databases, properties.getHealth().getMaxLag());
	}

}
