package io.github.litestream.autoconfigure;

import io.github.litestream.actuate.HandedOverDataSourceHealthIndicator;
import io.github.litestream.actuate.LitestreamHealthIndicator;
import io.github.litestream.jdbc.LitestreamDatabases;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.jdbc.health.DataSourceHealthIndicator;
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

	/**
	 * Reports Boot's {@code db} indicator OUT_OF_SERVICE instead of DOWN on an instance
	 * that handed its database over (issue 18 item 8). Static: a post-processor is
	 * created before the other beans; ordered last so it sees the finished indicator.
	 * @param databases the replicated databases, looked up when an indicator is created
	 * @return the post-processor
	 */
	@Bean
	@ConditionalOnClass(name = "org.springframework.boot.jdbc.health.DataSourceHealthIndicator")
	static BeanPostProcessor litestreamDataSourceHealthPostProcessor(ObjectProvider<LitestreamDatabases> databases) {
		return new BeanPostProcessor() {

			@Override
			public Object postProcessAfterInitialization(Object bean, String beanName) {
				if (bean instanceof DataSourceHealthIndicator indicator) {
					LitestreamDatabases known = databases.getIfAvailable();
					if (known != null) {
						return new HandedOverDataSourceHealthIndicator(indicator, known);
					}
				}
				return bean;
			}

		};
	}

}
