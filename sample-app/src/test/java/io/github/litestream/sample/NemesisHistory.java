package io.github.litestream.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

/**
 * What happened during a {@link SampleNemesisTests} run: every write a client saw
 * acknowledged, every fault the nemesis injected, and the operation log; and the two
 * checks made on it at the end.
 * <p>
 * Times are wall-clock microseconds since the epoch, taken on this machine, where the
 * instances run too (the notes' {@code created_at} stamps come from the same clock).
 */
final class NemesisHistory {

	/**
	 * A write a client saw acknowledged (a 2xx answer to {@code POST /api/notes}).
	 *
	 * @param text the note's text, unique within the run
	 * @param id the ID the instance answered
	 * @param instance the name of the instance (unique per process)
	 * @param start when the client started the request
	 * @param end when the client had the answer
	 * @param createdAt the note's {@code created_at}, stamped by the instance just before
	 * its {@code INSERT}
	 */
	record Ack(String text, long id, String instance, long start, long end, long createdAt) {
	}

	/**
	 * A fault that may lose acknowledged writes of one instance.
	 *
	 * @param kind what happened
	 * @param instance the instance
	 * @param from when it began (for a kill, when SIGKILL was sent)
	 * @param to when it ended (healed, resumed; the run's end if never)
	 */
	record Fault(FaultKind kind, String instance, long from, long to) {
	}

	/**
	 * The faults that may lose acknowledged writes.
	 */
	enum FaultKind {

		/** SIGKILL. */
		KILL,

		/** Cut off from the replica. */
		PARTITION,

		/** SIGSTOP until SIGCONT. */
		FREEZE

	}

	/**
	 * How much a fault may lose: the allowed loss windows.
	 *
	 * @param beforeFault acknowledgements this long before a fault may be lost (one sync
	 * interval plus the upload in flight)
	 * @param fence how long a partitioned instance may keep acknowledging before it
	 * fences itself (two thirds of the lease TTL after its last renewal, which was before
	 * the partition)
	 * @param slack how long after a kill or a freeze (and after the fence) a client may
	 * still receive an answer that the instance wrote before
	 */
	record LossModel(Duration beforeFault, Duration fence, Duration slack) {

		@Override
		public String toString() {
			return "acknowledged within " + millis(this.beforeFault)
					+ " before a SIGKILL, a SIGSTOP or a partition, or " + millis(this.fence)
					+ " after a partition (fence), + " + millis(this.slack) + " answer slack";
		}

		private static String millis(Duration duration) {
			return duration.toMillis() + " ms";
		}

	}

	/**
	 * Consecutive acknowledgements of one instance, in the order the clients had them.
	 *
	 * @param instance the instance
	 * @param start the first request's start
	 * @param end the last answer (see {@link NemesisHistory#acknowledgedAt})
	 * @param count how many acknowledgements
	 * @param first the first note
	 * @param last the last note
	 */
	record Interval(String instance, long start, long end, int count, Ack first, Ack last) {

		boolean overlaps(Interval other) {
			return this.start < other.end && other.start < this.end;
		}

	}

	/**
	 * The result of the loss check.
	 *
	 * @param acknowledged every acknowledged note
	 * @param lost notes missing from the restore without an exemption
	 * @param exempted every exempted note (present or not), by the fault that exempts it
	 */
	record Losses(int acknowledged, List<Ack> lost, Map<String, List<Ack>> exempted) {

	}

	private final long origin;

	private final @Nullable Path logFile;

	private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();

	private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();

	private final List<String> log = new ArrayList<>();

	NemesisHistory(long origin, @Nullable Path logFile) {
		this.origin = origin;
		this.logFile = logFile;
	}

	static long now() {
		Instant now = Instant.now();
		return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
	}

	static long micros(Instant instant) {
		return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
	}

	/**
	 * A time as an offset from the start of the run, {@code T+12.345s}.
	 */
	String at(long micros) {
		return String.format(Locale.ROOT, "T%+.3fs", (micros - this.origin) / 1e6);
	}

	void ack(Ack ack) {
		this.acks.add(ack);
	}

	void fault(Fault fault) {
		this.faults.add(fault);
	}

	/**
	 * Logs an operation of the run, with its time, to stdout and the run's log file.
	 */
	void op(String format, Object... args) {
		long now = now();
		String line = at(now) + " " + Instant.ofEpochSecond(0, now * 1000).truncatedTo(ChronoUnit.MILLIS) + " "
				+ String.format(Locale.ROOT, format, args);
		synchronized (this.log) {
			this.log.add(line);
		}
		System.out.println("[nemesis] " + line);
		Path file = this.logFile;
		if (file != null) {
			try {
				Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
	}

	List<String> log() {
		synchronized (this.log) {
			return List.copyOf(this.log);
		}
	}

	/**
	 * The operation log lines between two times.
	 */
	List<String> log(long from, long to) {
		return log().stream().filter((line) -> {
			long time = this.origin + Math.round(Double.parseDouble(line.substring(1, line.indexOf('s'))) * 1e6);
			return time >= from && time <= to;
		}).toList();
	}

	List<Ack> acks() {
		return List.copyOf(this.acks);
	}

	List<Fault> faults() {
		return List.copyOf(this.faults);
	}

	/**
	 * When an acknowledgement counts as given: when the client had the answer, except for
	 * an answer that a freeze of its instance delayed. A request in flight across a
	 * SIGSTOP..SIGCONT of its instance whose note the instance stamped before the SIGSTOP
	 * was being written before the freeze, and no process can take back an answer that a
	 * freeze caught between its commit and its socket write: it counts as acknowledged at
	 * the SIGSTOP (as if the network had delayed the answer). One stamped after the
	 * SIGCONT was written after the freeze and counts when the client had the answer.
	 */
	long acknowledgedAt(Ack ack) {
		for (Fault fault : this.faults) {
			if (fault.kind() == FaultKind.FREEZE && fault.instance().equals(ack.instance())
					&& ack.start() < fault.from() && ack.end() > fault.to() && ack.createdAt() <= fault.from()) {
				return fault.from();
			}
		}
		return ack.end();
	}

	/**
	 * The fault that allows an acknowledged note to be lost, if any.
	 */
	Optional<Fault> exemption(Ack ack, LossModel model) {
		long at = acknowledgedAt(ack);
		long before = model.beforeFault().toNanos() / 1000;
		long slack = model.slack().toNanos() / 1000;
		long fence = model.fence().toNanos() / 1000;
		for (Fault fault : this.faults) {
			if (fault.kind() == FaultKind.PARTITION && fault.instance().equals(ack.instance())
					&& at > fault.from() + fence + slack && at <= fault.to()) {
				// Acknowledged while cut off past the fence: it should have refused the
				// write; no later SIGKILL or SIGSTOP excuses its loss
				return Optional.empty();
			}
		}
		for (Fault fault : this.faults) {
			if (!fault.instance().equals(ack.instance())) {
				continue;
			}
			long until = switch (fault.kind()) {
				case KILL, FREEZE -> fault.from() + slack;
				// Conservative: the fence, even if healed earlier
				case PARTITION -> fault.from() + fence + slack;
			};
			if (at >= fault.from() - before && at <= until) {
				return Optional.of(fault);
			}
		}
		return Optional.empty();
	}

	String describe(Fault fault) {
		return switch (fault.kind()) {
			case KILL -> "SIGKILL of " + fault.instance() + " at " + at(fault.from());
			case FREEZE ->
				"SIGSTOP of " + fault.instance() + " at " + at(fault.from()) + " (SIGCONT at " + at(fault.to()) + ")";
			case PARTITION -> "partition of " + fault.instance() + " from the replica at " + at(fault.from())
					+ " (healed at " + at(fault.to()) + ")";
		};
	}

	/**
	 * Check (a): every acknowledged note is in the restored database, except those an
	 * injected fault may lose.
	 */
	Losses losses(Set<String> restored, LossModel model) {
		List<Ack> all = acks().stream().sorted(Comparator.comparingLong(Ack::end)).toList();
		List<Ack> lost = new ArrayList<>();
		Map<String, List<Ack>> exempted = new LinkedHashMap<>();
		for (Ack ack : all) {
			Optional<Fault> exemption = exemption(ack, model);
			if (exemption.isPresent()) {
				exempted.computeIfAbsent(describe(exemption.get()), (key) -> new ArrayList<>()).add(ack);
			}
			else if (!restored.contains(ack.text())) {
				lost.add(ack);
			}
		}
		return new Losses(all.size(), lost, exempted);
	}

	/**
	 * The acknowledgement intervals: consecutive acknowledgements of one instance (in the
	 * order of {@link #acknowledgedAt}), from the first request's start to the last
	 * answer.
	 */
	List<Interval> intervals() {
		List<Ack> sorted = acks().stream().sorted(Comparator.comparingLong(this::acknowledgedAt)).toList();
		List<Interval> intervals = new ArrayList<>();
		Interval current = null;
		for (Ack ack : sorted) {
			long end = acknowledgedAt(ack);
			if (current != null && current.instance().equals(ack.instance())) {
				current = new Interval(current.instance(), Math.min(current.start(), ack.start()),
						Math.max(current.end(), end), current.count() + 1, current.first(), ack);
			}
			else {
				if (current != null) {
					intervals.add(current);
				}
				current = new Interval(ack.instance(), ack.start(), end, 1, ack, ack);
			}
		}
		if (current != null) {
			intervals.add(current);
		}
		return intervals;
	}

	/**
	 * Check (b): pairs of acknowledgement intervals of different instances that overlap,
	 * earliest overlap first.
	 */
	List<Interval[]> overlaps() {
		List<Interval> intervals = new ArrayList<>(intervals());
		intervals.sort(Comparator.comparingLong(Interval::start));
		List<Interval[]> overlaps = new ArrayList<>();
		for (int i = 0; i < intervals.size(); i++) {
			Interval a = intervals.get(i);
			for (int j = i + 1; j < intervals.size() && intervals.get(j).start() < a.end(); j++) {
				Interval b = intervals.get(j);
				if (!a.instance().equals(b.instance()) && a.overlaps(b)) {
					overlaps.add(new Interval[] { a, b });
				}
			}
		}
		overlaps.sort(Comparator.comparingLong((Interval[] pair) -> Math.max(pair[0].start(), pair[1].start())));
		return overlaps;
	}

	String describe(Interval interval) {
		return String.format(Locale.ROOT,
				"%s acknowledged %d note(s) from %s to %s (first %s: %s..%s, last %s: %s..%s)", interval.instance(),
				interval.count(), at(interval.start()), at(interval.end()), interval.first().text(),
				at(interval.first().start()), at(acknowledgedAt(interval.first())), interval.last().text(),
				at(interval.last().start()), at(acknowledgedAt(interval.last())));
	}

	/**
	 * Lost notes as runs: consecutive (in answer order) lost notes of one instance.
	 */
	String describeLost(List<Ack> lost) {
		StringBuilder out = new StringBuilder();
		List<Ack> run = new ArrayList<>();
		for (Ack ack : lost) {
			if (!run.isEmpty() && !run.get(0).instance().equals(ack.instance())) {
				describeRun(run, out);
				run.clear();
			}
			run.add(ack);
		}
		if (!run.isEmpty()) {
			describeRun(run, out);
		}
		return out.toString();
	}

	private void describeRun(List<Ack> run, StringBuilder out) {
		Ack first = run.get(0);
		Ack last = run.get(run.size() - 1);
		out.append(String.format(Locale.ROOT, "  %s: %d note(s) acknowledged %s..%s (%s id %d .. %s id %d)%n",
				first.instance(), run.size(), at(acknowledgedAt(first)), at(acknowledgedAt(last)), first.text(),
				first.id(), last.text(), last.id()));
		out.append("    operations on ").append(first.instance()).append(" from 10 s before to 5 s after:\n");
		for (String line : opsOf(first.instance(), acknowledgedAt(first) - 10_000_000L,
				acknowledgedAt(last) + 5_000_000L)) {
			out.append("      ").append((line.length() > 240) ? line.substring(0, 240) + "..." : line).append('\n');
		}
	}

	private List<String> opsOf(String instance, long from, long to) {
		Pattern mentions = Pattern.compile(".*\\b" + Pattern.quote(instance) + "\\b.*");
		return log(from, to).stream().filter((line) -> mentions.matcher(line).matches()).toList();
	}

	/**
	 * Every exempted note, compact: text and answer time, MISSING when not restored.
	 */
	String describeExempted(Map<String, List<Ack>> exempted, Set<String> restored) {
		StringBuilder out = new StringBuilder();
		for (Map.Entry<String, List<Ack>> entry : exempted.entrySet()) {
			Collection<Ack> notes = entry.getValue();
			long missing = notes.stream().filter((ack) -> !restored.contains(ack.text())).count();
			out.append(String.format(Locale.ROOT, "  %s: %d exempted, %d of them missing%s%n   all:", entry.getKey(),
					notes.size(), missing,
					(missing == 0) ? ""
							: ": " + notes.stream()
								.filter((ack) -> !restored.contains(ack.text()))
								.map(Ack::text)
								.collect(Collectors.joining(" "))));
			int column = 0;
			for (Ack ack : notes) {
				String item = " " + ack.text() + "@" + at(acknowledgedAt(ack))
						+ (restored.contains(ack.text()) ? "" : "(MISSING)");
				if (column + item.length() > 110) {
					out.append("\n   ");
					column = 0;
				}
				out.append(item);
				column += item.length();
			}
			out.append('\n');
		}
		return out.toString();
	}

}
