package io.github.litestream.autoconfigure;

import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.metrics.LitestreamMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code litestream.*} Micrometer meters.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ MeterRegistry.class, LitestreamDatabases.class })
public final class LitestreamMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LitestreamMetrics litestreamMetrics(LitestreamDatabases databases) {
		return new LitestreamMetrics(databases);
	}

}
