package io.github.litestream.samplejpa;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import io.github.litestream.testsupport.BootAppInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A second instance on an empty disk restores the database from the replica before Flyway
 * and Hibernate touch it (issue 19 item 4): Flyway finds the schema migrated, Hibernate's
 * {@code ddl-auto=validate} accepts it, and the owners written by the first instance are
 * served. Both instances run in child JVMs.
 */
class ClinicRestoreTests {

	private static final String HISTORY = "SELECT version || ' ' || installed_on || ' ' || success "
			+ "FROM flyway_schema_history ORDER BY installed_rank";

	@TempDir
	Path dir;

	@Test
	void instanceOnAnEmptyDiskRestoresBeforeFlywayAndHibernateStart() throws Exception {
		Path replica = this.dir.resolve("replica");
		String owners;
		try (BootAppInstance first = Clinic.start(this.dir, "first", replica)) {
			for (int i = 0; i < 5; i++) {
				assertThat(Clinic.register(first, "owner-" + i)).isEqualTo(201);
			}
			owners = Clinic.owners(first);
			Clinic.sync(first);
			assertThat(first.stop()).as("exit code after SIGTERM").isEqualTo(143);
		}
		List<String> history = Clinic.query(this.dir.resolve("first/clinic.db"), HISTORY);
		assertThat(history).hasSize(1);

		List<String> lines;
		try (BootAppInstance second = Clinic.start(this.dir, "second", replica)) {
			assertThat(Clinic.owners(second)).isEqualTo(owners);
			assertThat(Clinic.ownerNames(owners)).hasSize(5);
			lines = second.jvm().lines();
			assertThat(second.stop()).as("exit code after SIGTERM").isEqualTo(143);
		}
		int restored = indexOf(lines, ".*Restored .* to TXID .*");
		int flyway = indexOf(lines, ".*Schema .* is up to date\\. No migration necessary.*");
		int hibernate = indexOf(lines, ".*Initialized JPA EntityManagerFactory.*");
		assertThat(restored).as("the restore's log line").isNotNegative();
		assertThat(flyway).as("Flyway's 'up to date' line, after the restore").isGreaterThan(restored);
		assertThat(hibernate).as("Hibernate's start, after Flyway").isGreaterThan(flyway);
		// Flyway did not migrate an empty database: its history is the first instance's.
		assertThat(Clinic.query(this.dir.resolve("second/clinic.db"), HISTORY)).isEqualTo(history);
	}

	private static int indexOf(List<String> lines, String regex) {
		Pattern pattern = Pattern.compile(regex);
		for (int i = 0; i < lines.size(); i++) {
			if (pattern.matcher(lines.get(i)).matches()) {
				return i;
			}
		}
		return -1;
	}

}
