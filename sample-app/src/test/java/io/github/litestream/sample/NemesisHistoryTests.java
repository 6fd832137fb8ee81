package io.github.litestream.sample;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import io.github.litestream.sample.NemesisHistory.Ack;
import io.github.litestream.sample.NemesisHistory.Fault;
import io.github.litestream.sample.NemesisHistory.FaultKind;
import io.github.litestream.sample.NemesisHistory.Interval;
import io.github.litestream.sample.NemesisHistory.LossModel;
import io.github.litestream.sample.NemesisHistory.Losses;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks of {@link SampleNemesisTests} on hand-made histories, so that the harness
 * itself neither misses a violation nor reports a false one. Times in seconds from 0.
 */
class NemesisHistoryTests {

	private static final LossModel MODEL = new LossModel(Duration.ofSeconds(3), Duration.ofSeconds(4),
			Duration.ofSeconds(1));

	private final NemesisHistory history = new NemesisHistory(0, null);

	@Test
	void handoverWithoutOverlapPasses() {
		ack("a1", "n1", 1.0, 1.01);
		ack("a2", "n1", 2.0, 2.01);
		ack("b1", "n2", 5.0, 5.01);
		ack("b2", "n2", 6.0, 6.01);
		assertThat(this.history.intervals()).hasSize(2);
		assertThat(this.history.overlaps()).isEmpty();
	}

	@Test
	void interleavedAcknowledgementsOverlap() {
		ack("a1", "n1", 1.0, 1.01);
		ack("b1", "n2", 1.005, 1.02);
		ack("a2", "n1", 1.03, 1.04);
		List<Interval[]> overlaps = this.history.overlaps();
		assertThat(overlaps).isNotEmpty();
		assertThat(overlaps.get(0)[0].instance()).isNotEqualTo(overlaps.get(0)[1].instance());
	}

	@Test
	void slowRequestSpanningAnotherInstancesAcknowledgementOverlaps() {
		ack("a1", "n1", 1.0, 9.0);
		ack("b1", "n2", 5.0, 5.01);
		assertThat(this.history.overlaps()).hasSize(1);
	}

	@Test
	void answerDelayedByAFreezeAfterTheWriteCountsAtTheSigstop() {
		// n1 stamped the note at 2.0, was frozen 2.5..12.0, answered at 12.1; n2 served
		// 9..11
		this.history.fault(new Fault(FaultKind.FREEZE, "n1", s(2.5), s(12.0)));
		this.history.ack(new Ack("a1", 1, "n1", s(1.99), s(12.1), s(2.0)));
		ack("b1", "n2", 9.0, 9.01);
		assertThat(this.history.acknowledgedAt(this.history.acks().get(0))).isEqualTo(s(2.5));
		assertThat(this.history.overlaps()).isEmpty();
		// ... and it may be lost with the freeze
		Losses losses = this.history.losses(Set.of("b1"), MODEL);
		assertThat(losses.lost()).isEmpty();
		assertThat(losses.exempted()).hasSize(1);
	}

	@Test
	void writeAfterAFreezeCountsWhenAnswered() {
		// The request reached n1 before the SIGSTOP but was written after the SIGCONT
		this.history.fault(new Fault(FaultKind.FREEZE, "n1", s(2.5), s(12.0)));
		this.history.ack(new Ack("a1", 1, "n1", s(2.4), s(12.1), s(12.05)));
		ack("b1", "n2", 9.0, 9.01);
		assertThat(this.history.overlaps()).hasSize(1);
		assertThat(this.history.losses(Set.of("b1"), MODEL).lost()).extracting(Ack::text).containsExactly("a1");
	}

	@Test
	void killExemptsOnlyItsWindowAndItsInstance() {
		this.history.fault(new Fault(FaultKind.KILL, "n1", s(10), s(10)));
		ack("early", "n1", 6.0, 6.5);
		ack("window", "n1", 8.0, 8.5);
		ack("other", "n2", 8.0, 8.5);
		Losses losses = this.history.losses(Set.of(), MODEL);
		assertThat(losses.lost()).extracting(Ack::text).containsExactly("early", "other");
		assertThat(losses.exempted().values()).singleElement()
			.satisfies((acks) -> assertThat(acks).extracting(Ack::text).containsExactly("window"));
	}

	@Test
	void partitionExemptsUntilTheFence() {
		this.history.fault(new Fault(FaultKind.PARTITION, "n1", s(10), s(30)));
		ack("before", "n1", 8.0, 8.1);
		ack("fenced", "n1", 14.5, 14.6);
		ack("late", "n1", 20.0, 20.1);
		Losses losses = this.history.losses(Set.of(), MODEL);
		assertThat(losses.lost()).extracting(Ack::text).containsExactly("late");
	}

	@Test
	void killAfterTheFenceDoesNotExcuseWritesAcknowledgedWhileFenced() {
		this.history.fault(new Fault(FaultKind.PARTITION, "n1", s(10), s(30)));
		this.history.fault(new Fault(FaultKind.KILL, "n1", s(17), s(17)));
		ack("fenced", "n1", 14.5, 14.6);
		ack("afterFence", "n1", 16.0, 16.1);
		Losses losses = this.history.losses(Set.of(), MODEL);
		assertThat(losses.lost()).extracting(Ack::text).containsExactly("afterFence");
	}

	@Test
	void presentNotesAreNotLost() {
		ack("a1", "n1", 1.0, 1.1);
		assertThat(this.history.losses(Set.of("a1"), MODEL).lost()).isEmpty();
		assertThat(this.history.losses(Set.of(), MODEL).lost()).hasSize(1);
	}

	private void ack(String text, String instance, double start, double end) {
		this.history.ack(new Ack(text, 0, instance, s(start), s(end), s(start)));
	}

	private static long s(double seconds) {
		return Math.round(seconds * 1_000_000);
	}

}
