package io.github.litestream.samplejpa;

import java.nio.file.Path;
import java.util.List;

import io.github.litestream.testsupport.BootAppInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The clinic survives a SIGKILL with nothing lost that was uploaded (issue 19 item 4):
 * owners are written, the Actuator endpoint's sync waits until the replica holds them,
 * more owners are written, and the JVM is killed. The replica then holds every uploaded
 * owner with both pets; a restart on the same disk serves every acknowledged owner, and
 * one on an empty disk every uploaded owner.
 */
class ClinicCrashTests {

	private static final String PETS_PER_OWNER = "SELECT o.name || ':' || COUNT(p.id) FROM owner o "
			+ "LEFT JOIN pet p ON p.owner_id = o.id GROUP BY o.id ORDER BY o.id";

	@TempDir
	Path dir;

	@Test
	void sigkillLosesNothingThatWasUploaded() throws Exception {
		Path replica = this.dir.resolve("replica");
		List<String> uploaded;
		List<String> acknowledged;
		try (BootAppInstance first = Clinic.start(this.dir, "first", replica)) {
			for (int i = 0; i < 10; i++) {
				assertThat(Clinic.register(first, "uploaded-" + i)).isEqualTo(201);
			}
			Clinic.sync(first);
			uploaded = Clinic.ownerNames(Clinic.owners(first));
			for (int i = 0; i < 5; i++) {
				assertThat(Clinic.register(first, "acknowledged-" + i)).isEqualTo(201);
			}
			acknowledged = Clinic.ownerNames(Clinic.owners(first));
			assertThat(first.kill()).as("exit code after SIGKILL").isEqualTo(137);
		}
		assertThat(uploaded).hasSize(10);
		assertThat(acknowledged).hasSize(15);
		List<String> inReplica = Clinic.query(Clinic.restore(replica, this.dir), PETS_PER_OWNER);
		assertThat(inReplica).as("owners and their pet counts in the replica after the SIGKILL")
			.containsAll(uploaded.stream().map((name) -> name + ":2").toList())
			.allMatch((owner) -> owner.endsWith(":2"));

		try (BootAppInstance sameDisk = Clinic.start(this.dir, "restarted", "first", replica)) {
			assertThat(Clinic.ownerNames(Clinic.owners(sameDisk))).as("owners after a restart on the same disk")
				.isEqualTo(acknowledged);
			assertThat(sameDisk.kill()).isEqualTo(137);
		}
		try (BootAppInstance emptyDisk = Clinic.start(this.dir, "empty", replica)) {
			assertThat(Clinic.ownerNames(Clinic.owners(emptyDisk))).as("owners after a restart on an empty disk")
				.containsAll(uploaded)
				.isSubsetOf(acknowledged);
			assertThat(emptyDisk.stop()).isEqualTo(143);
		}
		assertThat(Clinic.query(this.dir.resolve("empty/clinic.db"), PETS_PER_OWNER))
			.allMatch((owner) -> owner.endsWith(":2"));
	}

}
