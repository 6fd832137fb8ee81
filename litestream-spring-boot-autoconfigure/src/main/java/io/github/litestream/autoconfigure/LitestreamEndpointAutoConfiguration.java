package io.github.litestream.autoconfigure;

import io.github.litestream.actuate.LitestreamEndpoint;
import io.github.litestream.actuate.LitestreamEndpointRequestAdvisor;
import io.github.litestream.jdbc.LitestreamDatabases;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.audit.AuditEventRepository;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code litestream} Actuator endpoint. Its write operations
 * are only reachable with {@code management.endpoint.litestream.access=unrestricted};
 * each is logged and, when the application has an {@link AuditEventRepository}, recorded
 * as an audit event.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(LitestreamDatabases.class)
public final class LitestreamEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint
	LitestreamEndpoint litestreamEndpoint(LitestreamDatabases databases,
			ObjectProvider<AuditEventRepository> auditEventRepositories, ApplicationEventPublisher eventPublisher) {
		// Audit events only where a repository records them, as Boot's own listeners
		boolean audited = auditEventRepositories.stream().findAny().isPresent();
		return audited ? new LitestreamEndpoint(databases, eventPublisher) : new LitestreamEndpoint(databases);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint(endpoint = LitestreamEndpoint.class)
	static LitestreamEndpointRequestAdvisor litestreamEndpointRequestAdvisor() {
		return new LitestreamEndpointRequestAdvisor();
	}

}
