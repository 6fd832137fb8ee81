package io.github.litestream.sample;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample application loses its disk: after the database directory is deleted and the
 * application restarted, every replicated note is back and Flyway did not migrate an
 * empty database first.
 */
class SampleRestartTests {

	@TempDir
	Path dir;

	@Test
	void restartOnAnEmptyDiskRestoresEveryReplicatedNoteBeforeFlyway() throws Exception {
		List<Map<String, Object>> notes;
		List<Map<String, Object>> history;
		try (ConfigurableApplicationContext context = start()) {
			RestClient client = client(context);
			for (int i = 0; i < 5; i++) {
				client.post()
					.uri("/api/notes")
					.contentType(MediaType.APPLICATION_JSON)
					.body(Map.of("text", "note-" + i))
					.retrieve()
					.toBodilessEntity();
			}
			notes = notes(client);
			// Flyway (and so its migration initializer) waits for the startup restore:
			// database initializer detection orders it first.
			assertThat(context.getBeanFactory().getBeanDefinition("flyway").getDependsOn())
				.contains("litestreamStartupRestore");
			history = flywayHistory(context);
			// Reads every commit now and waits until the replica has it: comparing the
			// replica's TXID with the engine's could pass before the engine saw the
			// notes.
			LitestreamDatabase database = context.getBean(LitestreamDatabases.class).get("dataSource");
			assertThat(database.sync().replicated()).isTrue();
		}
		SampleTestSupport.deleteRecursively(this.dir.resolve("data"));
		try (ConfigurableApplicationContext context = start()) {
			assertThat(notes(client(context))).isEqualTo(notes).hasSize(5);
			assertThat(flywayHistory(context)).isEqualTo(history).hasSize(1);
		}
	}

	private ConfigurableApplicationContext start() {
		return new SpringApplicationBuilder(SampleApplication.class).run("--server.port=0",
				"--management.server.port=0",
				"--spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("data/notes.db"),
				"--litestream.replicas[0].url=" + this.dir.resolve("backup"),
				"--litestream.replicas[0].sync-interval=100ms", "--litestream.monitor-interval=100ms");
	}

	private static RestClient client(ConfigurableApplicationContext context) {
		return RestClient.create("http://localhost:" + context.getEnvironment().getProperty("local.server.port"));
	}

	private static List<Map<String, Object>> notes(RestClient client) {
		return client.get().uri("/api/notes").retrieve().body(new ParameterizedTypeReference<>() {
		});
	}

	private static List<Map<String, Object>> flywayHistory(ConfigurableApplicationContext context) {
		return context.getBean(JdbcClient.class)
			.sql("SELECT version, installed_on, success FROM flyway_schema_history ORDER BY installed_rank")
			.query()
			.listOfRows();
	}

}
