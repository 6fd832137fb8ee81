package io.github.litestream.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.sql.DataSource;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.ownership.OwnershipState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling deploy of an application that migrates its database with Flyway: the new
 * instance starts as a warm successor (DESIGN 4.16) and takes the database over when it
 * is ready, or before Flyway applies a pending migration; it never fails to start because
 * it started warm.
 */
@ExtendWith(OutputCaptureExtension.class)
class WarmSuccessorFlywayTests {

	private static final String BEFORE_STARTUP_IS_DONE = "is taken over before its startup is done";

	@TempDir
	Path dir;

	@Test
	void pendingMigrationTakesTheDatabaseOverBeforeFlywayRunsIt(CapturedOutput output) throws Exception {
		migration("v1", "V1__notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);");
		migration("v2", "V2__tags.sql",
				"CREATE TABLE tags (name TEXT PRIMARY KEY); INSERT INTO tags SELECT 'note ' || id FROM notes;");
		instance("old", "v1").run((old) -> {
			assertThat(old).hasNotFailed();
			JdbcTemplate oldJdbc = new JdbcTemplate(old.getBean(DataSource.class));
			for (int id = 1; id <= 20; id++) {
				oldJdbc.update("INSERT INTO notes VALUES (?, 'before')", id);
			}
			instance("new", "v1", "v2").run((successor) -> {
				assertThat(successor).hasNotFailed();
				assertThat(database(old).getHandover()).isNotNull();
				assertThat(database(successor).getOwnership().state()).isEqualTo(OwnershipState.OWNER);
				JdbcTemplate jdbc = new JdbcTemplate(successor.getBean(DataSource.class));
				// The migration ran on the state the old instance handed over
				assertThat(jdbc.queryForObject("SELECT count(*) FROM tags", Integer.class)).isEqualTo(20);
				assertThat(output)
					.contains(BEFORE_STARTUP_IS_DONE + ": Flyway (1 pending migration, the first 2 tags)");
			});
		});
	}

	@Test
	void migrationsWithNothingPendingLeaveTheTakeOverForWhenTheApplicationIsReady(CapturedOutput output)
			throws Exception {
		migration("v1", "V1__notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);");
		instance("old", "v1").run((old) -> {
			assertThat(old).hasNotFailed();
			new JdbcTemplate(old.getBean(DataSource.class)).update("INSERT INTO notes VALUES (1, 'before')");
			instance("new", "v1").run((successor) -> {
				assertThat(successor).hasNotFailed();
				assertThat(database(old).getHandover()).isNotNull();
				assertThat(new JdbcTemplate(successor.getBean(DataSource.class))
					.queryForObject("SELECT count(*) FROM notes", Integer.class)).isEqualTo(1);
				assertThat(output).contains("starts as a warm successor")
					.contains("asks for the leases to take the database over (the application is ready)")
					.doesNotContain(BEFORE_STARTUP_IS_DONE);
			});
		});
	}

	private ApplicationContextRunner instance(String name, String... migrations) throws Exception {
		Files.createDirectories(this.dir.resolve(name));
		StringBuilder locations = new StringBuilder();
		for (String migration : migrations) {
			locations.append((locations.isEmpty()) ? "" : ",")
				.append("filesystem:")
				.append(this.dir.resolve(migration));
		}
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class,
					LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve(name).resolve("app.db"),
					"spring.flyway.locations=" + locations,
					"litestream.replicas[0].url=" + this.dir.resolve("replica").toUri(),
					"litestream.monitor-interval=50ms", "litestream.replicas[0].sync-interval=0s",
					"litestream.lease.ttl=3s", "litestream.lease.renew-interval=500ms");
	}

	private void migration(String location, String file, String sql) throws Exception {
		Files.createDirectories(this.dir.resolve(location));
		Files.writeString(this.dir.resolve(location).resolve(file), sql);
	}

	private static LitestreamDatabase database(ApplicationContext context) {
		return context.getBean(LitestreamDatabases.class).getAll().iterator().next();
	}

}
