package io.github.litestream.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.github.litestream.ownership.LeaseConfig;

/**
 * Scenario 7, a long reader: a read transaction held open in another process while one
 * writer inserts at a fixed rate, with each tool and without replication; then the S3
 * requests made while idle with the reader still open. The runner and the section's
 * writer live together so that the scenario reads in one place.
 */
final class LongReaderScenario {

	private LongReaderScenario() {
	}

	/** One configuration of the long-reader scenario. */
	record ReaderConfig(Mode mode, boolean reader, boolean lease) {

		String label() {
			return this.mode.label + ((this.mode == Mode.OURS && !this.lease) ? " (lease off)" : "")
					+ (this.reader ? ", reader open" : ", no reader");
		}

	}

	static void run(BenchmarkMain main) throws Exception {
		int rate = Integer.parseInt(main.option("long-reader-rate", "200"));
		int seconds = Integer.parseInt(main.option("long-reader-seconds", "20"));
		int truncate = Integer.parseInt(main.option("long-reader-truncate-pages", "2000"));
		int busy = Integer.parseInt(main.option("long-reader-busy-ms", "1000"));
		int settle = Integer.parseInt(main.option("long-reader-settle-seconds", "90"));
		int idle = Integer.parseInt(main.option("long-reader-idle-seconds", "60"));
		List<ReaderConfig> configs = new ArrayList<>();
		for (boolean reader : new boolean[] { false, true }) {
			for (Mode mode : List.of(Mode.NONE, Mode.OURS, Mode.LITESTREAM)) {
				configs.add(new ReaderConfig(mode, reader, true));
			}
		}
		if (Boolean.parseBoolean(main.option("long-reader-lease-off", "true"))) {
			configs.add(new ReaderConfig(Mode.OURS, true, false));
		}
		List<ReaderRun> runs = new ArrayList<>();
		for (int rep = 0; rep < main.reps(); rep++) {
			List<ReaderConfig> rotated = new ArrayList<>();
			for (int i = 0; i < configs.size(); i++) {
				rotated.add(configs.get((i + rep) % configs.size()));
			}
			for (ReaderConfig config : rotated) {
				ReaderRun run = readerRun(main, config, rate, seconds, truncate, busy, settle, idle);
				runs.add(run);
				BenchmarkMain.log(String.format(Locale.ROOT,
						"  %-44s failed %d of %d, p50 %.1f ms, p99 %.1f ms, max WAL %d KiB%s", config.label(),
						run.failed(), run.attempts(), run.p50(), run.p99(), run.walBytes() / 1024,
						(run.idle() != null) ? ", idle: " + CountingProxy.describe(run.idle()) : ""));
			}
		}
		report(main.report(), runs, rate, seconds, truncate, busy, settle, idle);
	}

	private static ReaderRun readerRun(BenchmarkMain main, ReaderConfig config, int rate, int seconds, int truncate,
			int busy, int settle, int idle) throws Exception {
		Path dir = Bench.fresh(main.work()
			.resolve("long-reader")
			.resolve(config.label().replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(Locale.ROOT)));
		Path db = dir.resolve("bench.db");
		Workload.createSchema(db);
		String bucket = "reader-" + main.nextBucket();
		main.s3proxy().createBucket(bucket);
		try (CountingProxy proxy = new CountingProxy(main.s3proxy().endpoint())) {
			S3Target target = new S3Target(proxy.endpoint(), bucket, "db", main.s3proxy().basedir());
			Replication replication = switch (config.mode()) {
				case NONE -> Replication.NONE;
				case OURS -> OurReplication.start(db, target, Duration.ofSeconds(1), OurReplication.defaultLevels(),
						(b) -> b.truncatePageCount(truncate)
							.lease(config.lease() ? LeaseConfig.DEFAULT : LeaseConfig.DISABLED));
				case LITESTREAM -> Litestream.Sidecar.start(main.litestream(), db, target, Duration.ofSeconds(1),
						Duration.ofSeconds(1), OurReplication.defaultLevels(),
						"    truncate-page-n: " + truncate + "\n");
			};
			try (replication;
					LongReader reader = config.reader() ? LongReader.open(db) : null;
					WalSampler wal = new WalSampler(db)) {
				Workload.Attempts attempts = Workload.pacedTolerant(db, replication, rate, rate * seconds, busy, null);
				long walBytes = wal.maxBytes();
				Map<String, Long> idleCounts = null;
				if (config.reader() && config.mode() != Mode.NONE) {
					Thread.sleep(settle * 1000L);
					proxy.snapshotAndReset();
					Thread.sleep(idle * 1000L);
					idleCounts = proxy.snapshotAndReset();
					Files.write(dir.resolve("requests.log"), proxy.requestLog());
				}
				if (attempts.firstError() != null) {
					BenchmarkMain.log("  first failed write: " + attempts.firstError());
				}
				return new ReaderRun(config, Stats.percentile(attempts.latencyMs(), 50),
						Stats.percentile(attempts.latencyMs(), 99), attempts.failed(), rate * seconds, walBytes,
						idleCounts);
			}
		}
	}

	/** One run of the long-reader scenario. */
	record ReaderRun(ReaderConfig config, double p50, double p99, int failed, int attempts, long walBytes,
			Map<String, Long> idle) {

		long idleRequests(boolean lease) {
			if (this.idle == null) {
				return 0;
			}
			return this.idle.entrySet()
				.stream()
				.filter((e) -> !e.getKey().equals("dropped") && e.getKey().endsWith("(lease)") == lease)
				.mapToLong(Map.Entry::getValue)
				.sum();
		}

	}

	static void report(Report report, List<ReaderRun> runs, int rate, int seconds, int truncate, int busyMs, int settle,
			int idle) {
		StringBuilder s = new StringBuilder("## 7. Long reader\n\n");
		s.append("A read transaction held open in another process (the `sqlite3` shell: `BEGIN; SELECT count(*) ")
			.append("FROM bench;`, kept open) while one writer inserts ")
			.append(rate)
			.append(" rows/s for ")
			.append(seconds)
			.append(" s (one row per transaction, busy timeout ")
			.append(busyMs)
			.append(" ms, the engine's default `busy-timeout`, so that a writer waits as long as a checkpoint may). ")
			.append("The reader opens its transaction before the first write, so no checkpoint can backfill past ")
			.append("it and the WAL passes `truncate-page-count` ")
			.append(truncate)
			.append(" (Litestream: `truncate-page-n: ")
			.append(truncate)
			.append("`) about halfway through. Replica: S3Proxy through the counting proxy, sync interval 1 s. ")
			.append("\"Failed\" writes are inserts that returned an error (\"database is locked\"); latency is per ")
			.append("insert, failed ones included. The same runs without the reader are the baseline. Then, with the ")
			.append("reader still open, requests are counted over ")
			.append(idle)
			.append(" s starting ")
			.append(settle)
			.append(" s after the last write (as in scenario 5: by then the time-based checkpoint, one ")
			.append("`checkpoint-interval` of 1 min after the previous one, and the level-1 compaction of its file ")
			.append("are done); requests on ")
			.append("the lease object `lock.json` (ours renews it every `litestream.lease.renew-interval`, 10 s) ")
			.append("are counted apart, and one run of ours repeats the scenario with the lease off. ")
			.append("One row per run; no replication makes no requests.\n\n");
		s.append("| configuration | failed writes | p50 ms | p99 ms | largest WAL KiB | idle requests (without lease) ")
			.append("| idle lease requests |\n|---|---|---|---|---|---|---|\n");
		for (ReaderRun run : runs) {
			boolean idleMeasured = run.idle() != null;
			s.append("| ")
				.append(run.config().label())
				.append(" | ")
				.append(run.failed())
				.append(" of ")
				.append(run.attempts())
				.append(" | ")
				.append(Stats.fmt("%.1f", run.p50()))
				.append(" | ")
				.append(Stats.fmt("%.1f", run.p99()))
				.append(" | ")
				.append(run.walBytes() / 1024)
				.append(" | ")
				.append(idleMeasured ? run.idleRequests(false) + " (" + CountingProxy.describe(run.idle()) + ")" : "–")
				.append(" | ")
				.append(idleMeasured ? String.valueOf(run.idleRequests(true)) : "–")
				.append(" |\n");
		}
		for (Mode mode : List.of(Mode.OURS, Mode.LITESTREAM)) {
			List<ReaderRun> with = runs.stream()
				.filter((r) -> r.config().mode() == mode && r.config().reader() && r.config().lease())
				.toList();
			List<ReaderRun> without = runs.stream()
				.filter((r) -> r.config().mode() == mode && !r.config().reader())
				.toList();
			if (mode == Mode.OURS) {
				int failed = with.stream().mapToInt(ReaderRun::failed).sum();
				int lsFailed = runs.stream()
					.filter((r) -> r.config().mode() == Mode.LITESTREAM && r.config().reader())
					.mapToInt(ReaderRun::failed)
					.sum();
				report.target(String.format(Locale.ROOT,
						"| 7. Long reader: failed writes | 0 | ours %d (Litestream %d) | %s |", failed, lsFailed,
						Report.met(failed == 0)));
			}
			double p99With = Stats.median(with.stream().map(ReaderRun::p99).toList());
			double p99Without = Stats.median(without.stream().map(ReaderRun::p99).toList());
			double ratio = p99With / p99Without;
			report.target(String.format(Locale.ROOT,
					"| 7. Long reader: write p99 with the reader, %s | ≤ 2 × without the reader | %.1f ms vs %.1f ms "
							+ "(×%.2f) | %s |",
					(mode == Mode.OURS) ? "ours" : "Litestream", p99With, p99Without, ratio,
					(mode == Mode.OURS) ? Report.met(ratio <= 2) : "reported"));
		}
		List<ReaderRun> oursIdle = runs.stream()
			.filter((r) -> r.config().mode() == Mode.OURS && r.idle() != null)
			.toList();
		long requests = oursIdle.stream()
			.filter((r) -> r.config().lease())
			.mapToLong((r) -> r.idleRequests(false))
			.sum();
		long lease = oursIdle.stream().filter((r) -> r.config().lease()).mapToLong((r) -> r.idleRequests(true)).sum();
		long leaseOff = oursIdle.stream()
			.filter((r) -> !r.config().lease())
			.mapToLong((r) -> r.idleRequests(false) + r.idleRequests(true))
			.sum();
		long ls = runs.stream()
			.filter((r) -> r.config().mode() == Mode.LITESTREAM && r.idle() != null)
			.mapToLong((r) -> r.idleRequests(false))
			.sum();
		boolean leaseOffRun = oursIdle.stream().anyMatch((r) -> !r.config().lease());
		report.target(String.format(Locale.ROOT,
				"| 7. Long reader: S3 requests while idle, reader open | zero (lease renewals apart) | ours %d in %d s "
						+ "+ %d lease requests%s (Litestream %d) | %s |",
				requests, idle, lease, leaseOffRun ? "; lease off: " + leaseOff : "", ls,
				Report.met(requests == 0 && (!leaseOffRun || leaseOff == 0))));
		report.section(s.toString());
	}

}
