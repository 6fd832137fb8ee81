package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;

/**
 * Scenario 13, a restart on the same disk (issue 21 item 2): the sample application (its
 * packaged jar, default settings) runs as one instance on its own directory while clients
 * post notes to it. It is stopped with SIGTERM and started again on the same directory
 * (the normal start: the lease was released), then killed with SIGKILL and started again
 * on the same directory (its lease is still in the replica). Measured for each start: the
 * time from the process start to the first note it acknowledged; and afterwards the
 * acknowledged notes missing from the replica. With {@code --restart-baseline-jar} the
 * same runs are made with another build of the sample application, alternating.
 */
final class Restart {

	private Restart() {
	}

	/** What one run measured. */
	record Run(String kind, String build, double normalStartMs, double killedStartMs, int acknowledged, long lost) {

		@Override
		public String toString() {
			return String.format(Locale.ROOT,
					"%s, %s: start after SIGTERM -> first acknowledged write %.0f ms; after SIGKILL %.0f ms; "
							+ "acknowledged %d, lost %d",
					this.kind, this.build, this.normalStartMs, this.killedStartMs, this.acknowledged, this.lost);
		}

	}

	static Run run(String build, Path jar, Path dir, ReplicaTarget target, int notesPerPhase) throws Exception {
		Handover.Clients clients = new Handover.Clients();
		Handover.Instance instance = new Handover.Instance("a", jar, dir, target);
		double normal;
		double killed;
		try {
			instance.start();
			instance.awaitReady(Duration.ofMinutes(3));
			clients.add(instance);
			clients.start();
			clients.await(instance, notesPerPhase, Duration.ofMinutes(2));
			instance.stop();
			normal = startAndAwaitFirstWrite(instance, clients);
			clients.await(instance, clients.acknowledged(instance) + notesPerPhase, Duration.ofMinutes(2));
			instance.kill();
			killed = startAndAwaitFirstWrite(instance, clients);
			clients.await(instance, clients.acknowledged(instance) + notesPerPhase, Duration.ofMinutes(2));
			clients.stop();
			instance.stop();
		}
		finally {
			clients.stop();
			instance.kill();
		}
		Path restored = dir.resolve("restored.db");
		new Restorer().restore(target.client(), restored,
				new RestoreOptions(RestoreTarget.latest(), IntegrityCheck.QUICK, false, false));
		return new Run(target.kind(), build, normal, killed, clients.acknowledged(instance), clients.missing(restored));
	}

	/** Runs the scenario and adds its section to the report. */
	static void scenario(BenchmarkMain main) throws Exception {
		Path jar = main.sampleAppJar();
		String baseline = main.option("restart-baseline-jar", null);
		String baselineLabel = main.option("restart-baseline-label", "baseline");
		int notes = Integer.parseInt(main.option("restart-notes", "100"));
		List<String> builds = (baseline != null) ? List.of(Restart.THIS_BUILD, baselineLabel)
				: List.of(Restart.THIS_BUILD);
		List<Restart.Run> runs = new ArrayList<>();
		for (int rep = 0; rep < main.reps(); rep++) {
			for (String kind : main.option("restart-replicas", "file,S3Proxy").split(",")) {
				for (int i = 0; i < builds.size(); i++) {
					// Which build goes first rotates
					String build = builds.get((i + rep) % builds.size());
					Path buildJar = build.equals(Restart.THIS_BUILD) ? jar : Path.of(baseline);
					Path dir = Bench.fresh(main.work()
						.resolve("restart")
						.resolve(kind + "-" + build.replaceAll("[^A-Za-z0-9]+", "-") + "-" + rep));
					Restart.Run run = Restart.run(build, buildJar, dir, main.target(kind, dir), notes);
					runs.add(run);
					BenchmarkMain.log("  " + run);
				}
			}
		}
		Restart.report(main.report(), runs, notes,
				(baseline != null)
						? "\"" + baselineLabel + "\" is the sample application built from "
								+ main.option("restart-baseline-description", baseline) + ", which waits for the lease."
						: "");
	}

	/**
	 * Starts the instance again on its directory and waits for the first note it
	 * acknowledges after that start.
	 * @return the time from the start to that note, in ms
	 */
	private static double startAndAwaitFirstWrite(Handover.Instance instance, Handover.Clients clients)
			throws Exception {
		long start = System.nanoTime();
		instance.start();
		while (true) {
			long first = clients.acknowledgedAt(instance.name())
				.stream()
				.mapToLong(Long::longValue)
				.filter((at) -> at - start > 0)
				.min()
				.orElse(Long.MIN_VALUE);
			if (first != Long.MIN_VALUE) {
				return (first - start) / 1e6;
			}
			if (!instance.isAlive()) {
				throw new IllegalStateException("The restarted instance exited: " + instance.tail());
			}
			if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(3)) {
				throw new IllegalStateException(
						"No write acknowledged within 3 min of the restart: " + instance.tail());
			}
			Thread.sleep(20);
		}
	}

	/** Adds the section and the target rows of the scenario. */
	static void report(Report report, List<Run> runs, int notes, String baselineDescription) {
		StringBuilder s = new StringBuilder("## 13. Restart on the same disk\n\n");
		s.append("The sample application (its packaged jar, default settings: lease TTL 30 s, renewed every 10 s, ")
			.append("handover on request) runs as one instance on its own directory; ")
			.append(Handover.CLIENTS)
			.append(" clients post notes to it, each waiting ")
			.append(Handover.CLIENT_PERIOD.toMillis())
			.append(" ms between two posts. After ")
			.append(notes)
			.append(" acknowledged notes it gets SIGTERM and is started again on the same directory: the normal ")
			.append("start (its lease was released). After ")
			.append(notes)
			.append(" more it gets SIGKILL and is started again on the same directory: its lease is still in the ")
			.append("replica, unexpired. Each figure is the time from the new process's start to the first note it ")
			.append("acknowledged. \"Lost\": acknowledged notes missing from the replica after the final SIGTERM. ")
			.append("\"this build\" takes its own lease back after the SIGKILL (DESIGN 4.15); ")
			.append(baselineDescription)
			.append(" One row per run.\n\n");
		s.append(
				"| replica | build | start → first write after SIGTERM | after SIGKILL | difference | acknowledged | lost |\n")
			.append("|---|---|---|---|---|---|---|\n");
		for (Run r : runs) {
			s.append(String.format(Locale.ROOT, "| %s | %s | %.0f ms | %.0f ms | %+.0f ms | %d | %d |%n", r.kind(),
					r.build(), r.normalStartMs(), r.killedStartMs(), r.killedStartMs() - r.normalStartMs(),
					r.acknowledged(), r.lost()));
		}
		for (String kind : List.of("file", "S3Proxy")) {
			List<Run> of = runs.stream().filter((r) -> r.kind().equals(kind) && r.build().equals(THIS_BUILD)).toList();
			if (of.isEmpty()) {
				continue;
			}
			double extra = Stats.median(of.stream().map((r) -> r.killedStartMs() - r.normalStartMs()).toList());
			long lost = of.stream().mapToLong(Run::lost).sum();
			report.target(String.format(Locale.ROOT,
					"| 13. Restart on the same disk (%s): start to first write after SIGKILL, minus the normal start "
							+ "| ≤ 1000 ms | %s (normal start %s) | %s |",
					kind, Stats.fmt("%+.0f ms", extra),
					Stats.fmt("%.0f ms", Stats.median(of.stream().map(Run::normalStartMs).toList())),
					(extra <= 1000) ? "**met**" : "**not met**"));
			report.target(String.format(Locale.ROOT,
					"| 13. Restart on the same disk (%s): acknowledged notes lost | 0 | %d of %d | %s |", kind, lost,
					of.stream().mapToInt(Run::acknowledged).sum(), (lost == 0) ? "**met**" : "**not met**"));
		}
		report.section(s.toString());
	}

	static final String THIS_BUILD = "this build";

}
