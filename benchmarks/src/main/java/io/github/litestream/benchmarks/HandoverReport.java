package io.github.litestream.benchmarks;

import java.util.List;
import java.util.Locale;

/**
 * Writes section 9 (rolling deploy) and its target rows: one row per deploy with what the
 * clients and readers saw, one row per deploy with where the time went, and the targets
 * of issue 21 per application and replica.
 */
final class HandoverReport {

	/** Issue 21's bound on the read gap and the write pause of a deploy, in ms. */
	static final double TARGET_MS = 1000;

	private HandoverReport() {
	}

	static void report(Report report, List<Handover.Run> runs, int notes, String clinicDelay, String build, int reps) {
		StringBuilder s = new StringBuilder("## 9. Rolling deploy (lease handover)\n\n");
		if (!build.isEmpty()) {
			s.append("**Build measured: ").append(build).append(".**\n\n");
		}
		s.append("Two applications, each from its packaged jar with default settings (lease TTL 30 s, renewed every ")
			.append("10 s, handover on request, sync interval 1 s): `sample-app` (JDBC, Flyway; one note per write) ")
			.append("and `sample-jpa-app` (the pet clinic: Spring Data JPA, Hibernate, Flyway; one owner with two pets ")
			.append("per write, one transaction) started with `--clinic.startup-delay=")
			.append(clinicDelay)
			.append("`, a bean created after the `EntityManagerFactory` that sleeps that long, so that its context ")
			.append("takes that much longer after the DataSource, as a PetClinic-sized application does. The ")
			.append("application runs as instance A on its own directory; ")
			.append(Handover.CLIENTS)
			.append(" clients write to it, each waiting ")
			.append(Handover.CLIENT_PERIOD.toMillis())
			.append(" ms between two posts, and a reader reads every instance every ")
			.append(Readers.PERIOD_MS)
			.append(" ms (`GET /api/notes/count`, `GET /api/counts`; a read is answered when it returns 2xx with at ")
			.append("least one record: a `503`, a refused connection or a 5 s timeout is not). After A acknowledged ")
			.append(notes)
			.append(" writes, instance B starts on an empty directory with the same replica, as a rolling deploy ")
			.append("starts the new pod. The clients write to both, round robin, as soon as B answers HTTP, and the ")
			.append("reader reads both from B's start; once B's readiness (`/readyz`) is UP, A gets SIGTERM. The ")
			.append("clients go on until B acknowledged ")
			.append(notes)
			.append(" more writes, then B lists every record and stops (SIGTERM). Instances are asked directly, not ")
			.append("through a load balancer: the figures leave out a platform's probe periods and endpoint ")
			.append("propagation. \"+ migration\": B alone has one more Flyway migration (`V99`, an index on the ")
			.append("main table, from a `filesystem:` entry added to `spring.flyway.locations`); \"migrated\" says ")
			.append("the replica has it afterwards.\n\n")
			.append("\"First write\": from B's process start to the first write B acknowledged; \"listening\": to B's ")
			.append("first HTTP answer; \"first read\": to B's first answered read. \"Write pause\": the longest time ")
			.append("between two consecutive acknowledged writes (of either instance). \"Read gap\": the longest ")
			.append("time in which no instance answered a read. \"Lost\": acknowledged writes missing from the replica ")
			.append("restored afterwards by ours and by `litestream restore`, and from B's own listing. \"Refused\": ")
			.append("writes answered with an error or not at all (A draining or handed over). Load: the load ")
			.append("average when the deploy started (other builds share this 2-core machine). One row per deploy. ")
			.append("Reproduce: `./mvnw -B -pl benchmarks,sample-app,sample-jpa-app -am package -DskipTests && java -jar ")
			.append("benchmarks/target/benchmarks.jar --only=handover --reps=")
			.append(reps)
			.append("` (about 1 min per deploy; `--handover-apps`, `--handover-replicas`, `--handover-migration` and ")
			.append("`--handover-build` in `benchmarks/run.sh`).\n\n");
		s.append("| application | replica | deploy | B start → listening | → first read | → first write | write pause ")
			.append("| read gap | acknowledged by A / B | lost (ours / `litestream restore` / missing on B) | refused | load |\n")
			.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
		for (Handover.Run r : runs) {
			s.append(String.format(Locale.ROOT,
					"| %s | %s | %s | %s | %s | %s | %s | %s | %d / %d | %d / %d / %d | %d | %s |%n", r.app().label,
					r.kind(),
					r.deploy() + (r.migration() ? (r.migrated() ? " (migrated)" : " (**not migrated**)") : ""),
					ms(r.listeningMs()), ms(r.firstReadMs()), ms(r.firstWriteMs()), ms(r.longestGapMs()),
					ms(r.longestReadGapMs()), r.acknowledgedByA(), r.acknowledgedByB(), r.lostOurs(), r.lostOfficial(),
					r.missingOnB(), r.refused(), r.load()));
		}
		s.append("\nWhere the time goes, in ms after B's process start: the first line of each phase in the ")
			.append("instances' logs (`HandoverPhases.MARKERS`: B's `STARTING -> STANDBY` when its DataSource found ")
			.append("A serving and B starts warm, B asking for the leases (once its web server listens; before the ")
			.append("warm successor, B's `STARTING -> ACQUIRING` when its DataSource was created), its handover ")
			.append("request, A's `OWNER -> HANDING_OVER` when it saw the request at a ")
			.append("renewal, `HANDING_OVER -> HANDED_OVER` after its drain and final sync, B's `ACQUIRING -> OWNER`, ")
			.append("its restore, Flyway, Spring's `Started`), then what the harness saw (B ready, B's first ")
			.append("acknowledged write). \"A's pause\" is the drain and final sync A logged (\"writes were paused ")
			.append("for\"). A dash: the line was not seen.\n\n");
		s.append("| application | replica | deploy |");
		for (HandoverPhases.Marker marker : HandoverPhases.MARKERS) {
			s.append(' ').append(marker.label()).append(" |");
		}
		s.append(" A's pause | B ready | B first write |\n|---|---|---|");
		s.append("---|".repeat(HandoverPhases.MARKERS.size() + 3)).append('\n');
		for (Handover.Run r : runs) {
			s.append("| ")
				.append(r.app().label)
				.append(" | ")
				.append(r.kind())
				.append(" | ")
				.append(r.deploy())
				.append(" |");
			for (HandoverPhases.Marker marker : HandoverPhases.MARKERS) {
				s.append(' ').append(number(r.phases().get(marker.label()))).append(" |");
			}
			s.append(' ')
				.append(number(r.phases().get(HandoverPhases.A_PAUSE)))
				.append(" | ")
				.append(number(r.readyMs()))
				.append(" | ")
				.append(number(r.firstWriteMs()))
				.append(" |\n");
		}
		for (DeployedApp app : DeployedApp.values()) {
			for (String kind : List.of("file", "S3Proxy")) {
				targets(report, app, kind,
						runs.stream().filter((r) -> r.app() == app && r.kind().equals(kind) && !r.migration()).toList(),
						false);
				targets(report, app, kind,
						runs.stream().filter((r) -> r.app() == app && r.kind().equals(kind) && r.migration()).toList(),
						true);
			}
		}
		report.section(s.toString());
	}

	private static void targets(Report report, DeployedApp app, String kind, List<Handover.Run> of, boolean migration) {
		if (of.isEmpty()) {
			return;
		}
		String what = (migration ? "Deploy adding a migration" : "Rolling deploy") + " (" + app.label + ", " + kind
				+ ")";
		long lost = of.stream().mapToLong(Handover.Run::lost).sum();
		int acknowledged = of.stream().mapToInt((r) -> r.acknowledgedByA() + r.acknowledgedByB()).sum();
		boolean migrated = of.stream().allMatch(Handover.Run::migrated);
		report.target(String.format(Locale.ROOT, "| 9. %s: acknowledged writes lost%s | 0 | %d of %d%s | %s |", what,
				migration ? ", migration applied" : "", lost, acknowledged,
				migration ? (migrated ? "; migrated in every run" : "; **not migrated** in some runs") : "",
				Report.met(lost == 0 && (!migration || migrated))));
		List<Double> readGaps = of.stream().map(Handover.Run::longestReadGapMs).toList();
		List<Double> pauses = of.stream().map(Handover.Run::longestGapMs).toList();
		List<Double> firstWrites = of.stream().map(Handover.Run::firstWriteMs).toList();
		if (migration) {
			report.target(String.format(Locale.ROOT,
					"| 9. %s: longest read gap; longest write pause; start to first write | (reported) | %s; %s; %s "
							+ "| reported |",
					what, spread(readGaps), spread(pauses), spread(firstWrites)));
			return;
		}
		report.target(String.format(Locale.ROOT,
				"| 9. %s: longest interval in which no instance answers a read | ≤ 1 s | %s | %s |", what,
				spread(readGaps), Report.met(Stats.median(readGaps) <= TARGET_MS)));
		report.target(String.format(Locale.ROOT, "| 9. %s: longest write pause | ≤ 1 s | %s | %s |", what,
				spread(pauses), Report.met(Stats.median(pauses) <= TARGET_MS)));
		report.target(String.format(Locale.ROOT,
				"| 9. %s: new instance's start to its first write | (no numeric target: reported) | %s | reported |",
				what, spread(firstWrites)));
	}

	/** The median, and the range when there are several runs. */
	private static String spread(List<Double> values) {
		return Stats.spread(values, "%.0f") + " ms";
	}

	private static String ms(double value) {
		return Double.isNaN(value) || value > 1e12 ? "not seen" : Stats.fmt("%.0f ms", value);
	}

	private static String number(Double value) {
		return (value == null || Double.isNaN(value) || value > 1e12) ? "–" : Stats.fmt("%.0f", value);
	}

}
