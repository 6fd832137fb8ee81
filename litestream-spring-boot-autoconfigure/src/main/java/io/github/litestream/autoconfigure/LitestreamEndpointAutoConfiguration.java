package io.github.litestream.autoconfigure;

import io.github.litestream.actuate.LitestreamEndpoint;
import io.github.litestream.actuate.LitestreamEndpointRequestAdvisor;
import io.github.litestream.jdbc.LitestreamDatabases;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code litestream} Actuator endpoint. Its write operations
 * are only reachable with {@code management.endpoint.litestream.access=unrestricted}.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(LitestreamDatabases.class)
public final class LitestreamEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint
	LitestreamEndpoint litestreamEndpoint(LitestreamDatabases databases) {
		return new LitestreamEndpoint(databases);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint(endpoint = LitestreamEndpoint.class)
	static LitestreamEndpointRequestAdvisor litestreamEndpointRequestAdvisor() {
		return new LitestreamEndpointRequestAdvisor();
	}

}
