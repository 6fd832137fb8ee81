package io.github.litestream.samplejpa;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import io.github.litestream.testsupport.BootAppInstance;
import io.github.litestream.testsupport.ContinuousWriters;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling deploy of the clinic (issue 19 item 4), as the sample's
 * {@code SampleRollingDeployTests} runs one for the JDBC sample: instance A serves with
 * writers running; instance B starts on its own empty disk against A's replica and takes
 * the lease over; A hands over and is stopped with SIGTERM; B serves alone. Every owner a
 * client saw acknowledged must be in the replica afterwards with both of its pets (one
 * Hibernate transaction each), and B must serve them all.
 */
class ClinicRollingDeployTests {

	private static final Duration WRITE_TIMEOUT = Duration.ofMinutes(2);

	/** Owners acknowledged by A before B starts, and by B after A stopped. */
	private static final int OWNERS_PER_PHASE = 30;

	private static final String OWNERS_WITH_BOTH_PETS = "SELECT o.name FROM owner o JOIN pet p ON p.owner_id = o.id "
			+ "GROUP BY o.id HAVING COUNT(p.id) = 2";

	@TempDir
	Path dir;

	@Test
	void rollingDeployLosesNoAcknowledgedOwner() throws Exception {
		Path replica = this.dir.resolve("replica");
		ContinuousWriters writers = new ContinuousWriters(2, Clinic::register);
		int aReadinessWhenBWasReady;
		int aExit;
		List<String> servedByB;
		try (BootAppInstance a = Clinic.start(this.dir, "a", replica); BootAppInstance b = new BootAppInstance("b")) {
			a.awaitReady();
			writers.add(a);
			writers.start();
			writers.awaitAcknowledged(a, OWNERS_PER_PHASE, WRITE_TIMEOUT);

			Clinic.start(b, this.dir, replica);
			writers.add(b);
			b.awaitReady();
			aReadinessWhenBWasReady = a.readiness();
			aExit = a.stop();
			writers.awaitAcknowledged(b, writers.acknowledged(b) + OWNERS_PER_PHASE, WRITE_TIMEOUT);
			writers.stop();
			Clinic.sync(b);
			servedByB = Clinic.ownerNames(Clinic.owners(b));
			b.stop();
		}
		finally {
			writers.stop();
		}
		Set<String> acknowledged = writers.acknowledgedWrites().keySet();
		Set<String> inReplica = new HashSet<>(Clinic.query(Clinic.restore(replica, this.dir), OWNERS_WITH_BOTH_PETS));
		Set<String> missingFromReplica = new TreeSet<>(acknowledged);
		missingFromReplica.removeAll(inReplica);
		Set<String> missingFromB = new TreeSet<>(acknowledged);
		missingFromB.removeAll(servedByB);
		String summary = writers.summary();
		SoftAssertions.assertSoftly((softly) -> {
			softly.assertThat(missingFromReplica)
				.as("%d of %d acknowledged owners missing (or without both pets) in the replica (%s)",
						missingFromReplica.size(), acknowledged.size(), summary)
				.isEmpty();
			softly.assertThat(missingFromB)
				.as("%d of %d acknowledged owners not served by B (%s)", missingFromB.size(), acknowledged.size(),
						summary)
				.isEmpty();
			softly.assertThat(aReadinessWhenBWasReady)
				.as("A's /actuator/health/readiness once B was ready (REFUSING_TRAFFIC after the handover)")
				.isEqualTo(503);
			softly.assertThat(aExit).as("A's exit code after SIGTERM").isEqualTo(143);
		});
	}

}
