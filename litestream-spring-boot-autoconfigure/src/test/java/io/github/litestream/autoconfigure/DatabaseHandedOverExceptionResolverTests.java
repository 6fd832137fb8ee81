package io.github.litestream.autoconfigure;

import io.github.litestream.jdbc.DatabaseHandedOverException;
import io.github.litestream.jdbc.DatabaseNotServedYetException;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests that reach an instance after it handed its database over get a 503 that sends
 * the client to the new instance, not a 500 with a stack trace.
 */
class DatabaseHandedOverExceptionResolverTests {

	private final DatabaseHandedOverExceptionResolver resolver = new DatabaseHandedOverExceptionResolver();

	@Test
	void requestAfterAHandoverIsAnswered503NamingTheSuccessor() throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/notes");
		MockHttpServletResponse response = new MockHttpServletResponse();
		// As Spring's JDBC support wraps the DataSource's exception
		Exception failure = new DataAccessResourceFailureException("Failed to obtain JDBC Connection",
				new DatabaseHandedOverException("dataSource", "pod-2:1/abc", 42));
		assertThat(this.resolver.resolveException(request, response, null, failure)).isNotNull();
		assertThat(response.getStatus()).isEqualTo(503);
		assertThat(response.getHeader("Retry-After")).isEqualTo("1");
		assertThat(response.getHeader("Connection")).isEqualTo("close");
		assertThat(response.getContentType()).startsWith("application/problem+json");
		assertThat(response.getContentAsString()).contains("\"status\":503")
			.contains("was handed over to pod-2:1/abc at TXID 000000000000002a")
			.contains("\"instance\":\"/api/notes\"");
	}

	@Test
	void requestToAWarmSuccessorBeforeItsTakeoverIsAnswered503SoItIsRetriedElsewhere() throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/notes");
		MockHttpServletResponse response = new MockHttpServletResponse();
		Exception failure = new DataAccessResourceFailureException("Failed to obtain JDBC Connection",
				new DatabaseNotServedYetException("dataSource", "warm successor: pod-1:1 serves the database"));
		assertThat(this.resolver.resolveException(request, response, null, failure)).isNotNull();
		assertThat(response.getStatus()).isEqualTo(503);
		assertThat(response.getHeader("Retry-After")).isEqualTo("1");
		assertThat(response.getHeader("Connection")).isEqualTo("close");
		assertThat(response.getContentAsString()).contains("is not served by this instance yet");
	}

	@Test
	void otherFailuresAreLeftToTheApplication() {
		MockHttpServletResponse response = new MockHttpServletResponse();
		assertThat(this.resolver.resolveException(new MockHttpServletRequest(), response, null,
				new DataAccessResourceFailureException("disk full")))
			.isNull();
		assertThat(response.getStatus()).isEqualTo(200);
	}

	@Test
	void resolverIsRegisteredInServletWebApplicationsOnly() {
		AutoConfigurations configurations = AutoConfigurations.of(LitestreamAutoConfiguration.class);
		new WebApplicationContextRunner().withConfiguration(configurations)
			.run((context) -> assertThat(context).hasSingleBean(DatabaseHandedOverExceptionResolver.class));
		new ApplicationContextRunner().withConfiguration(configurations)
			.run((context) -> assertThat(context).doesNotHaveBean(DatabaseHandedOverExceptionResolver.class));
	}

}
