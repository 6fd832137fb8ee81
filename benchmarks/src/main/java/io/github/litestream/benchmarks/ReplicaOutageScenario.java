package io.github.litestream.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
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
 * Scenario 8, a replica outage: the S3 server hangs for a while under a steady writer;
 * measured are the engine's CPU and WAL while it hangs, the catch-up afterwards and the
 * rows a restore then lacks. The runner and the section's writer live together so that
 * the scenario reads in one place.
 */
final class ReplicaOutageScenario {

	private ReplicaOutageScenario() {
	}

	static void run(BenchmarkMain main) throws Exception {
		int rate = Integer.parseInt(main.option("outage-rate", "200"));
		int before = Integer.parseInt(main.option("outage-before-seconds", "5"));
		int outage = Integer.parseInt(main.option("outage-seconds", "30"));
		int writing = Integer.parseInt(main.option("outage-writing-seconds", "20"));
		List<OutageRun> runs = new ArrayList<>();
		for (int rep = 0; rep < main.reps(); rep++) {
			for (String ms : main.option("outage-intervals-ms", "0,1000").split(",")) {
				Duration interval = Duration.ofMillis(Long.parseLong(ms));
				for (Mode mode : BenchmarkMain.order(List.of(Mode.OURS, Mode.LITESTREAM), rep)) {
					if (!main.option("outage-tools", "ours,litestream")
						.contains((mode == Mode.OURS) ? "ours" : "litestream")) {
						continue;
					}
					OutageRun run = outageRun(main, mode, interval, rate, before, outage, writing);
					runs.add(run);
					BenchmarkMain.log("  " + run);
				}
			}
		}
		report(main.report(), runs, rate, before, outage, writing);
	}

	private static OutageRun outageRun(BenchmarkMain main, Mode mode, Duration interval, int rate, int before,
			int outage, int writing) throws Exception {
		Path dir = Bench.fresh(main.work()
			.resolve("outage")
			.resolve(mode.name().toLowerCase(Locale.ROOT) + "-sync-" + interval.toMillis() + "ms"));
		Path db = dir.resolve("bench.db");
		Workload.createSchema(db);
		String bucket = "outage-" + main.nextBucket();
		main.s3proxy().createBucket(bucket);
		int count = rate * (before + writing);
		long[] durable = new long[count];
		try (CountingProxy proxy = new CountingProxy(main.s3proxy().endpoint())) {
			S3Target target = new S3Target(proxy.endpoint(), bucket, "db", main.s3proxy().basedir());
			Replication replication = (mode == Mode.OURS)
					? EngineProcess.start(db, target, interval, "-Xmx256m", dir.resolve("engine.log"))
					: Litestream.Sidecar.start(main.litestream(), db, target,
							interval.isZero() ? BenchmarkMain.EAGER_LITESTREAM : Duration.ofSeconds(1),
							interval.isZero() ? BenchmarkMain.EAGER_LITESTREAM : interval,
							OurReplication.defaultLevels());
			try (replication; LagWatcher watcher = new LagWatcher(target.level0Directory(), durable)) {
				long pid = replication.sidecarPid();
				Workload.Attempts[] attempts = new Workload.Attempts[1];
				Throwable[] failure = new Throwable[1];
				Thread writer = new Thread(() -> {
					try {
						attempts[0] = Workload.pacedTolerant(db, replication, rate, count, 5000, null);
					}
					catch (Throwable ex) {
						failure[0] = ex;
					}
				}, "outage-writer");
				writer.start();
				Thread.sleep(before * 1000L);
				long walBytes;
				double cpu0;
				double cpu1;
				double cpu2;
				long t0;
				long t1;
				long t2;
				try (WalSampler wal = new WalSampler(db)) {
					cpu0 = ProcMem.cpuSeconds(pid);
					t0 = System.nanoTime();
					proxy.stall(true);
					writer.join();
					cpu1 = ProcMem.cpuSeconds(pid);
					t1 = System.nanoTime();
					long left = t0 + TimeUnit.SECONDS.toNanos(outage) - System.nanoTime();
					if (left > 0) {
						Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left));
					}
					cpu2 = ProcMem.cpuSeconds(pid);
					t2 = System.nanoTime();
					walBytes = wal.maxBytes();
				}
				proxy.stall(false);
				if (failure[0] != null) {
					throw new IllegalStateException("writer failed: " + failure[0], failure[0]);
				}
				Workload.Attempts a = attempts[0];
				int last = count - 1;
				while (last > 0 && a.commitNanos()[last] == 0) {
					last--;
				}
				boolean caught = watcher.awaitRow(last,
						TimeUnit.SECONDS.toNanos(Long.parseLong(main.option("outage-catch-up-seconds", "180"))));
				long caughtAt = caught ? durable[last] : System.nanoTime();
				// One more second, so that a PUT still in flight when the row was seen is
				// counted.
				Thread.sleep(1000);
				long puts = 0;
				long l0Puts = 0;
				long retries = 0;
				long leaseRequests = 0;
				java.util.Set<String> held = new java.util.HashSet<>();
				for (CountingProxy.Event event : proxy.events()) {
					if (event.op().startsWith("dropped")) {
						held.add(event.target());
					}
				}
				for (CountingProxy.Event event : proxy.events()) {
					if (event.nanos() < t2 || event.nanos() > caughtAt || event.op().startsWith("dropped")) {
						continue;
					}
					if (event.op().endsWith("(lease)")) {
						leaseRequests++;
					}
					else if (event.op().startsWith("PUT")) {
						puts++;
						if (event.target().contains("/0000/")) {
							l0Puts++;
							if (held.contains(event.target())) {
								retries++;
							}
						}
					}
				}
				Files.write(dir.resolve("requests.log"), proxy.requestLog());
				long dropped = proxy.snapshotAndReset().getOrDefault("dropped", 0L);
				long[] missing = missingRows(main, mode, target, dir, db, a);
				return new OutageRun(mode, interval, cpu1 - cpu0, (t1 - t0) / 1e9, cpu2 - cpu1, (t2 - t1) / 1e9,
						walBytes, caught ? (caughtAt - t2) / 1e6 : Double.POSITIVE_INFINITY, puts, l0Puts, retries,
						leaseRequests, a.committed(), a.failed(), dropped, missing[0], missing[1]);
			}
		}
	}

	/**
	 * Restores the replica with its own tool and counts the acknowledged rows it lacks.
	 * @return {rows missing below the highest restored row (holes), rows missing above it
	 * (the replica is behind)}, or {-1, -1} when the tool could not restore the replica
	 */
	private static long[] missingRows(BenchmarkMain main, Mode mode, ReplicaTarget target, Path dir, Path db,
			Workload.Attempts attempts) throws Exception {
		Path out = dir.resolve("restored.db");
		if (mode == Mode.OURS) {
			new Restorer().restore(target.client(), out,
					new RestoreOptions(RestoreTarget.latest(), IntegrityCheck.NONE, false, false));
		}
		else {
			try {
				Bench.run(Litestream.restoreCommand(main.litestream(), dir.resolve("litestream.yml"), db, out, null),
						dir.resolve("restore.log"));
			}
			catch (IllegalStateException ex) {
				// A replica still being uploaded may not be restorable at this moment
				BenchmarkMain.log("  restore failed: " + ex.getMessage().replace('\n', ' '));
				return new long[] { -1, -1 };
			}
		}
		java.util.Set<Long> restored = new java.util.HashSet<>();
		try (Connection c = Workload.open(out, false);
				Statement s = c.createStatement();
				java.sql.ResultSet rs = s.executeQuery("SELECT id FROM bench WHERE id >= " + Workload.ROW_BASE)) {
			while (rs.next()) {
				restored.add(rs.getLong(1));
			}
		}
		long highest = restored.stream().mapToLong(Long::longValue).max().orElse(-1);
		long holes = 0;
		long behind = 0;
		for (int i = 0; i < attempts.commitNanos().length; i++) {
			if (attempts.commitNanos()[i] != 0 && !restored.contains(Workload.ROW_BASE + i)) {
				if (Workload.ROW_BASE + i < highest) {
					holes++;
				}
				else {
					behind++;
				}
			}
		}
		return new long[] { holes, behind };
	}

	/** One run of the replica-outage scenario. */
	record OutageRun(Mode mode, Duration interval, double cpuWritingSec, double writingSec, double cpuIdleSec,
			double idleSec, long walBytes, double catchUpMs, long puts, long l0Puts, long retries, long leaseRequests,
			int committed, int failed, long dropped, long holes, long behind) {

		double cpuWritingPct() {
			return 100 * this.cpuWritingSec / this.writingSec;
		}

		double cpuIdlePct() {
			return 100 * this.cpuIdleSec / this.idleSec;
		}

		String intervalLabel() {
			return this.interval.isZero() ? "0 (eager)" : this.interval.toMillis() / 1000.0 + " s";
		}

		@Override
		public String toString() {
			return String.format(Locale.ROOT,
					"%s sync %s: CPU %.1f %% writing, %.1f %% idle; WAL max %d KiB; catch-up %.0f ms, %d PUTs "
							+ "(%d L0, %d of them retries of held requests), %d lease; %d rows acknowledged, %d failed, %d dropped requests, %d missing in holes, %d behind",
					this.mode.label, intervalLabel(), cpuWritingPct(), cpuIdlePct(), this.walBytes / 1024,
					this.catchUpMs, this.puts, this.l0Puts, this.retries, this.leaseRequests, this.committed,
					this.failed, this.dropped, this.holes, this.behind);
		}

	}

	private static String missing(OutageRun run) {
		return (run.holes() < 0) ? "restore failed" : run.holes() + " / " + run.behind();
	}

	private static String catchUp(double ms) {
		return Double.isInfinite(ms) ? "not caught up" : Stats.fmt("%.0f ms", ms);
	}

	static void report(Report report, List<OutageRun> runs, int rate, int before, int outage, int writing) {
		StringBuilder s = new StringBuilder("## 8. Replica outage\n\n");
		s.append("The S3 server hangs for ")
			.append(outage)
			.append(" s: the counting proxy in front of S3Proxy holds every request that arrives during that time ")
			.append("unanswered, then closes those connections without forwarding them (a network partition; ")
			.append("clients see no response until their own timeouts). One writer inserts ")
			.append(rate)
			.append(" rows/s (one per transaction) from ")
			.append(before)
			.append(" s before the outage until ")
			.append(writing)
			.append(" s into it; the rest of the outage is idle. Ours runs in a child JVM (`EngineChild serve`, ")
			.append("default settings, lease on, notified of each commit through a pipe) so that its CPU time is ")
			.append("read from `/proc/<pid>/stat` apart from the writer's; Litestream is its sidecar process. CPU ")
			.append("is % of one core over the writing and the idle part of the outage. The largest WAL is sampled ")
			.append("every 20 ms during the outage (checkpoint thresholds: PASSIVE at 1000 pages = 4 MiB, ")
			.append("TRUNCATE at 121359 pages; without checkpoints the outage's writes would grow it past ")
			.append(String.format(Locale.ROOT, "%.0f MiB", rate * writing * 4096 / 1048576.0))
			.append("). Catch-up: from the end of the outage until the last acknowledged row is in a file of the ")
			.append("replica's level 0 (the lag observer of scenario 1); PUTs are counted in that window ")
			.append("(L0 = level-0 files; a retry is a PUT of a file whose first attempt the outage held and ")
			.append("dropped, repeated under the same name; ours does not repeat it but merges that file into its ")
			.append("catch-up file, which overlaps it if the held request did land; lease requests apart). Gap: the ")
			.append("replica is restored with the tool's own ")
			.append("restore right after the catch-up and every acknowledged row is looked up: a hole is a missing ")
			.append("row below the highest restored one, \"behind\" counts missing rows above it (a replica that ")
			.append("has not caught up). \"Not caught up\" means the last row did not reach the replica within the ")
			.append("harness's wait (`--outage-catch-up-seconds`, 180). Eager is ")
			.append("`sync-interval: 0` for ours and `1ms` (monitor `1ms`) for Litestream. One row per run.\n\n");
		s.append("| sync interval | tool | CPU writing (% core) | CPU idle (% core) | largest WAL KiB | catch-up ")
			.append("| PUTs to catch up | of them L0 | L0 retries of held requests | lease requests ")
			.append("| acknowledged rows | missing after restore: holes / behind | requests held and dropped |\n")
			.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
		for (OutageRun r : runs) {
			s.append(String.format(Locale.ROOT,
					"| %s | %s | %.1f | %.1f | %d | %s | %d | %d | %d | %d | %d | %s | %d |%n", r.intervalLabel(),
					r.mode().label, r.cpuWritingPct(), r.cpuIdlePct(), r.walBytes() / 1024, catchUp(r.catchUpMs()),
					r.puts(), r.l0Puts(), r.retries(), r.leaseRequests(), r.committed(), missing(r), r.dropped()));
		}
		for (Duration interval : List.of(Duration.ZERO, Duration.ofSeconds(1))) {
			List<OutageRun> ours = runs.stream()
				.filter((r) -> r.mode() == Mode.OURS && r.interval().equals(interval))
				.toList();
			List<OutageRun> ls = runs.stream()
				.filter((r) -> r.mode() == Mode.LITESTREAM && r.interval().equals(interval))
				.toList();
			if (ours.isEmpty()) {
				continue;
			}
			String label = ours.get(0).intervalLabel();
			double idleCpu = Stats.max(ours.stream().map(OutageRun::cpuIdlePct).toList());
			double lsIdleCpu = Stats.max(ls.stream().map(OutageRun::cpuIdlePct).toList());
			report.target(String.format(Locale.ROOT,
					"| 8. Replica outage, sync %s: engine CPU while idle | near zero (≤ 5 %% of a core) | %.1f %% "
							+ "(Litestream %.1f %%) | %s |",
					label, idleCpu, lsIdleCpu, Report.met(idleCpu <= 5)));
			double wal = Stats.max(ours.stream().map((r) -> r.walBytes() / 1048576.0).toList());
			double lsWal = Stats.max(ls.stream().map((r) -> r.walBytes() / 1048576.0).toList());
			report.target(String.format(Locale.ROOT,
					"| 8. Replica outage, sync %s: WAL bounded by the checkpoint thresholds | ≤ 2 × PASSIVE "
							+ "threshold (8 MiB) | %.1f MiB (Litestream %.1f MiB) | %s |",
					label, wal, lsWal, Report.met(wal <= 8)));
			long l0 = ours.stream().mapToLong(OutageRun::l0Puts).max().orElse(-1);
			long lsL0 = ls.stream().mapToLong(OutageRun::l0Puts).max().orElse(-1);
			double catchUp = Stats.max(ours.stream().map(OutageRun::catchUpMs).toList());
			report.target(String.format(Locale.ROOT,
					"| 8. Replica outage, sync %s: catch-up in one merged upload | 1 L0 PUT, retries of requests "
							+ "held by the outage included | %d, caught up in %s (Litestream %d, %s) | %s |",
					label, l0, catchUp(catchUp), lsL0,
					catchUp(Stats.max(ls.stream().map(OutageRun::catchUpMs).toList())),
					Report.met(l0 == 1 && !Double.isInfinite(catchUp))));
			long holes = ours.stream().mapToLong(OutageRun::holes).sum();
			long behind = ours.stream().mapToLong(OutageRun::behind).sum();
			long lsHoles = ls.stream().mapToLong(OutageRun::holes).filter((n) -> n >= 0).sum();
			long lsBehind = ls.stream().mapToLong(OutageRun::behind).filter((n) -> n >= 0).sum();
			long lsFailed = ls.stream().filter((r) -> r.holes() < 0).count();
			report.target(String.format(Locale.ROOT,
					"| 8. Replica outage, sync %s: no gap after recovery | every acknowledged row restored | "
							+ "%d in holes, %d behind (Litestream %d in holes, %d behind%s) | %s |",
					label, holes, behind, lsHoles, lsBehind,
					(lsFailed > 0) ? ", its restore failed in " + lsFailed + " of " + ls.size() + " runs" : "",
					Report.met(holes == 0 && behind == 0 && ours.stream().allMatch((r) -> r.holes() >= 0))));
		}
		report.section(s.toString());
	}

}
