package io.github.litestream.samplejpa;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code clinic.startup-delay} must lengthen the start after the database is ready, as a
 * PetClinic-sized context does: the bean that sleeps is created only once the
 * {@code EntityManagerFactory} exists (after the DataSource, its restore and Flyway), so
 * a rolling deploy measured with it has the shape of a real one.
 */
@SpringBootTest(webEnvironment = WebEnvironment.NONE, properties = "clinic.startup-delay=10ms")
class StartupDelayTests {

	// Not a @TempDir: the cached context is closed at JVM exit, after JUnit would have
	// deleted it, and its final sync needs the replica directory.
	private static final Path dir = createTempDirectory();

	@DynamicPropertySource
	static void database(DynamicPropertyRegistry registry) {
		registry.add("spring.datasource.url",
				() -> "jdbc:sqlite:" + dir.resolve("data").resolve("clinic.db") + "?transaction_mode=IMMEDIATE");
		registry.add("litestream.replicas[0].url", () -> dir.resolve("replica").toString());
	}

	@Autowired
	ConfigurableApplicationContext context;

	@Test
	void delayIsCreatedAfterTheEntityManagerFactory() {
		assertThat(this.context.getBeanFactory().getDependenciesForBean("startupDelay"))
			.contains("entityManagerFactory");
	}

	private static Path createTempDirectory() {
		try {
			return Files.createTempDirectory("litestream-clinic");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
