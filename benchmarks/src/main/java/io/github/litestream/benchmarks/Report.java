package io.github.litestream.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Collects results and renders {@code docs/benchmarks.md}.
 */
final class Report {

	private final Map<String, String> settings = new LinkedHashMap<>();

	private final Map<String, String> loads = new LinkedHashMap<>();

	private final List<String> sections = new ArrayList<>();

	private final List<String> targets = new ArrayList<>();

	void setting(String key, String value) {
		this.settings.put(key, value);
	}

	void load(String when, String value) {
		this.loads.put(when, value);
	}

	static String met(boolean met) {
		return met ? "**met**" : "**not met**";
	}

	private static String f0(double v) {
		return Stats.fmt("%.0f", v);
	}

	// ---- Scenario 2 ----

	void writeOverhead(Map<Integer, Map<Mode, List<Double>>> tps, Map<Integer, Map<Mode, List<Double>>> ratios,
			long seconds) {
		StringBuilder s = new StringBuilder("## 2. Write overhead\n\n");
		s.append("Each run: a fresh database and file replica, ")
			.append(seconds)
			.append(" s of writers inserting one ")
			.append("~100-byte row per transaction as fast as they can (one connection per writer, WAL, ")
			.append("`synchronous=NORMAL`, busy timeout 5 s), default settings (sync interval 1 s). Ratio = tx/s ")
			.append("with replication ÷ tx/s without, computed within each repetition. Median (min–max).\n\n");
		s.append("| writers | no replication tx/s | ours tx/s | Litestream tx/s | ours ratio | Litestream ratio |\n");
		s.append("|---|---|---|---|---|---|\n");
		for (var entry : tps.entrySet()) {
			int w = entry.getKey();
			Map<Mode, List<Double>> byMode = entry.getValue();
			Map<Mode, List<Double>> r = ratios.get(w);
			s.append("| ")
				.append(w)
				.append(" | ")
				.append(Stats.spread(byMode.get(Mode.NONE), "%.0f"))
				.append(" | ")
				.append(Stats.spread(byMode.get(Mode.OURS), "%.0f"))
				.append(" | ")
				.append(Stats.spread(byMode.get(Mode.LITESTREAM), "%.0f"))
				.append(" | ")
				.append(Stats.spread(pct(r.get(Mode.OURS)), "%.1f %%"))
				.append(" | ")
				.append(Stats.spread(pct(r.get(Mode.LITESTREAM)), "%.1f %%"))
				.append(" |\n");
			double ours = Stats.median(r.get(Mode.OURS)) * 100;
			double ls = Stats.median(r.get(Mode.LITESTREAM)) * 100;
			this.targets.add(String.format(Locale.ROOT,
					"| 2. Write overhead, %d writer(s) | ≥ 95 %% of no replication | %.1f %% (Litestream %.1f %%) | %s |",
					w, ours, ls, met(ours >= 95)));
		}
		this.sections.add(s.toString());
	}

	private static List<Double> pct(List<Double> ratios) {
		return ratios.stream().map((r) -> r * 100).toList();
	}

	// ---- Scenario 1 ----

	record LagRow(String kind, Duration interval, int rate, Map<Mode, List<double[]>> results) {
	}

	void lag(List<LagRow> rows, int seconds) {
		StringBuilder s = new StringBuilder("## 1. Replication lag\n\n");
		s.append("Time from a transaction's commit (its `commit` returned) until the replica holds it. One writer ")
			.append("commits at a fixed rate for ")
			.append(seconds)
			.append(" s; the first second is warm-up. The ")
			.append("same observer serves every configuration: it watches the replica's level-0 directory with ")
			.append("inotify, decodes each new LTX file as soon as it is complete (checksum verified) and finds ")
			.append("the highest row id in its table leaf pages (rows get ids from 10⁹ up, in commit order, and an ")
			.append("insert always rewrites the leaf that receives it). Every row up to that id is durable at the ")
			.append("moment the file was seen. p50 and p99 are per run; the table shows their median (min–max) ")
			.append("over the repetitions. \"Eager\" is `sync-interval: 0` for ours; Litestream rejects 0 (\"sync interval ")
			.append("must be greater than 0\"), so it runs with `sync-interval: 1ms` and `monitor-interval: 1ms`, its most eager ")
			.append("setting. At the default, Litestream runs its defaults (`monitor-interval` 1 s, ")
			.append("`sync-interval` 1 s); ours is woken by each commit, as the starter's DataSource does. ")
			.append("No replication has no lag; it is omitted.\n\n");
		s.append(
				"| replica | sync interval | tx/s | ours p50 ms | ours p99 ms | Litestream p50 ms | Litestream p99 ms ")
			.append("| p99 ratio ours/Litestream |\n|---|---|---|---|---|---|---|---|\n");
		for (LagRow row : rows) {
			List<Double> o50 = col(row.results().get(Mode.OURS), 0);
			List<Double> o99 = col(row.results().get(Mode.OURS), 1);
			List<Double> l50 = col(row.results().get(Mode.LITESTREAM), 0);
			List<Double> l99 = col(row.results().get(Mode.LITESTREAM), 1);
			List<Double> ratio = new ArrayList<>();
			for (int i = 0; i < Math.min(o99.size(), l99.size()); i++) {
				ratio.add(o99.get(i) / l99.get(i));
			}
			String interval = row.interval().isZero() ? "0 (eager)" : row.interval().toMillis() / 1000.0 + " s";
			s.append("| ")
				.append(row.kind())
				.append(" | ")
				.append(interval)
				.append(" | ")
				.append(row.rate())
				.append(" | ")
				.append(Stats.spread(o50, "%.1f"))
				.append(" | ")
				.append(Stats.spread(o99, "%.1f"))
				.append(" | ")
				.append(Stats.spread(l50, "%.1f"))
				.append(" | ")
				.append(Stats.spread(l99, "%.1f"))
				.append(" | ")
				.append(Stats.spread(ratio, "%.2f"))
				.append(" |\n");
			double p99 = Stats.median(o99);
			double limit = row.interval().isZero() ? (row.kind().equals("file") ? 50 : 100) : 1100;
			String verdict = (p99 < limit) ? "**met**" : Double.isInfinite(p99) ? "**not met** (replication stalled)"
					: "**not met** (by " + f0(p99 - limit) + " ms)";
			this.targets.add(String.format(Locale.ROOT,
					"| 1. Lag p99, %s, sync %s, %d tx/s | < %.0f ms | %s ms (Litestream %s ms) | %s |", row.kind(),
					interval, row.rate(), limit, Stats.fmt("%.1f", p99), Stats.fmt("%.1f", Stats.median(l99)),
					verdict));
		}
		this.sections.add(s.toString());
	}

	private static List<Double> col(List<double[]> runs, int i) {
		return (runs != null) ? runs.stream().map((r) -> r[i]).toList() : List.of();
	}

	// ---- Scenarios 3 and 4 ----

	static final class RestoreData {

		final String kind;

		final long size;

		final String heap;

		final List<Duration> levels;

		final int rate;

		final int seconds;

		Bench.Run oursReplicate;

		double lsInitialMs;

		long lsReplicateRssKb;

		final Map<String, List<Bench.Run>> runs = new LinkedHashMap<>();

		RestoreData(String kind, long size, String heap, List<Duration> levels, int rate, int seconds) {
			this.kind = kind;
			this.size = size;
			this.heap = heap;
			this.levels = levels;
			this.rate = rate;
			this.seconds = seconds;
		}

		void add(String kind, Bench.Run run) {
			this.runs.computeIfAbsent(kind, (k) -> new ArrayList<>()).add(run);
		}

		List<Double> wall(String kind) {
			return this.runs.getOrDefault(kind, List.of()).stream().map(Bench.Run::wallMs).toList();
		}

		List<Double> rssMib(String kind) {
			return this.runs.getOrDefault(kind, List.of()).stream().map((r) -> r.peakRssKb() / 1024.0).toList();
		}

		List<Double> heapMib(String kind) {
			return this.runs.getOrDefault(kind, List.of())
				.stream()
				.map((r) -> Long.parseLong(r.result().getOrDefault("peakHeap", "-1")) / 1048576.0)
				.toList();
		}

		/** Per-repetition ratio of two kinds (runs are paired by repetition). */
		List<Double> ratio(String a, String b) {
			List<Double> x = wall(a);
			List<Double> y = wall(b);
			List<Double> out = new ArrayList<>();
			for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
				out.add(x.get(i) / y.get(i));
			}
			return out;
		}

	}

	void restore(List<RestoreData> all) {
		RestoreData first = all.get(0);
		StringBuilder s = new StringBuilder("## 3. Restore\n\n");
		s.append(String.format(Locale.ROOT, "A %.2f GiB database (", first.size / 1073741824.0))
			.append("rows of ~900 bytes, mostly compressible text) is replicated by each tool to its own replica, ")
			.append("then written at ")
			.append(first.rate)
			.append(" tx/s for ")
			.append(first.seconds)
			.append(" s with compaction levels ")
			.append(first.levels.stream().map(Litestream::go).toList())
			.append(" (a day's levels 30 s / 5 min / 1 h scaled down so that the history holds the initial ")
			.append("full file plus L3, L2, L1 and L0 files). \"latest\" restores the newest state, \"point in ")
			.append("time\" the state at the middle of the write phase. Ours restores in a fresh JVM ")
			.append("(`EngineChild restore`, ")
			.append(first.heap)
			.append(", default parallelism 8, integrity check off, as `litestream restore` runs none), so its ")
			.append("times include JVM start-up (about 0.1 s); `litestream restore` restores its own replica; `cp` ")
			.append("copies the same database file. Wall-clock ms per process, page cache warm (nothing is ")
			.append("dropped). Median (min–max); ratios per repetition.\n\n");
		s.append("| replica | restore | ours ms | Litestream ms | cp ms | ours ÷ Litestream | ours ÷ cp | ")
			.append("Litestream ÷ cp |\n|---|---|---|---|---|---|---|---|\n");
		for (RestoreData d : all) {
			for (String what : List.of("latest", "pit")) {
				String o = "ours-" + what;
				String l = "litestream-" + what;
				String label = what.equals("pit") ? "point in time" : "latest";
				s.append("| ")
					.append(d.kind)
					.append(" | ")
					.append(label)
					.append(" | ")
					.append(Stats.spread(d.wall(o), "%.0f"))
					.append(" | ")
					.append(Stats.spread(d.wall(l), "%.0f"))
					.append(" | ")
					.append(Stats.spread(d.wall("cp"), "%.0f"))
					.append(" | ")
					.append(Stats.spread(d.ratio(o, l), "%.2f"))
					.append(" | ")
					.append(Stats.spread(d.ratio(o, "cp"), "%.2f"))
					.append(" | ")
					.append(Stats.spread(d.ratio(l, "cp"), "%.2f"))
					.append(" |\n");
				double vsLs = Stats.median(d.ratio(o, l));
				double vsCp = Stats.median(d.ratio(o, "cp"));
				this.targets.add(String.format(Locale.ROOT,
						"| 3. Restore %s (%s) faster than `litestream restore` | ratio < 1 | %.2f | %s |", label,
						d.kind, vsLs, met(vsLs < 1)));
				if (d.kind.equals("file")) {
					this.targets.add(String.format(Locale.ROOT,
							"| 3. Restore %s (file) within 2x of `cp` | ratio ≤ 2 | %.2f | %s |", label, vsCp,
							met(vsCp <= 2)));
				}
			}
		}
		s.append("\nInitial replication of the whole database (the first full file on the replica): ");
		for (RestoreData d : all) {
			s.append(String.format(Locale.ROOT,
					"%s: ours %s ms (child JVM, from start), Litestream %.0f ms "
							+ "(process start to file on the replica). ",
					d.kind, d.oursReplicate.result().get("initialMs"), d.lsInitialMs));
		}
		s.append("\n\n");
		this.sections.add(s.toString());

		StringBuilder m = new StringBuilder("## 4. Memory\n\n");
		m.append("Peak heap (sum of the peak usage of the JVM's heap pools) and peak RSS (`VmHWM`) of the process ")
			.append("that replicates or restores the database above. Ours runs in a child JVM with ")
			.append(first.heap)
			.append(": that is the bound (it cannot use more heap, and every run completed). Litestream's RSS ")
			.append("is sampled from `/proc/<pid>/status` every 10 ms. No replication uses no memory for it.\n\n");
		m.append("| replica | phase | ours peak heap MiB | ours peak RSS MiB | Litestream peak RSS MiB |\n")
			.append("|---|---|---|---|---|\n");
		double maxHeap = 0;
		for (RestoreData d : all) {
			double repHeap = Long.parseLong(d.oursReplicate.result().get("peakHeap")) / 1048576.0;
			maxHeap = Math.max(maxHeap, repHeap);
			m.append(String.format(Locale.ROOT,
					"| %s | replicate (initial full sync + %d s of writes with compaction) | %.0f | %.0f | %.0f |%n",
					d.kind, d.seconds, repHeap, d.oursReplicate.peakRssKb() / 1024.0, d.lsReplicateRssKb / 1024.0));
			for (String what : List.of("latest", "pit")) {
				m.append("| ")
					.append(d.kind)
					.append(" | restore ")
					.append(what.equals("pit") ? "point in time" : "latest")
					.append(" | ")
					.append(Stats.spread(d.heapMib("ours-" + what), "%.0f"))
					.append(" | ")
					.append(Stats.spread(d.rssMib("ours-" + what), "%.0f"))
					.append(" | ")
					.append(Stats.spread(d.rssMib("litestream-" + what), "%.0f"))
					.append(" |\n");
				maxHeap = Math.max(maxHeap, Stats.max(d.heapMib("ours-" + what)));
			}
		}
		int bound = Integer.parseInt(first.heap.replaceAll("[^0-9]", ""));
		this.targets.add(String.format(Locale.ROOT,
				"| 4. Heap bounded by a constant | ≤ %d MiB (`%s`) for a %.0f MiB database | peak %.0f MiB | %s |",
				bound, first.heap, first.size / 1048576.0, maxHeap, met(maxHeap <= bound)));
		this.sections.add(m.toString());
	}

	// ---- Scenario 5 ----

	void requests(Map<Mode, Map<String, Long>> writing, Map<Mode, Map<String, Long>> idle, int writeSeconds,
			int settleSeconds, int idleSeconds, int rate) {
		StringBuilder s = new StringBuilder("## 5. Request economy (S3)\n\n");
		s.append("Each tool replicates its own database to its own bucket through a counting HTTP proxy in front of ")
			.append("S3Proxy (requests are forwarded byte for byte; the proxy classifies each by method and query). ")
			.append("Default settings (sync interval 1 s, levels 30 s / 5 min / 1 h, snapshots every 24 h). ")
			.append("Writing: ")
			.append(rate)
			.append(" tx/s for ")
			.append(writeSeconds)
			.append(" s. Idle: counted over ")
			.append(idleSeconds)
			.append(" s starting ")
			.append(settleSeconds)
			.append(" s after the last write (so the last L0 files have been compacted into L1 and the time-based checkpoint, one minute after the last one, has run). Both tools run ")
			.append("at the same time. Figures are requests per hour, extrapolated linearly from one window each ")
			.append("(an hour holds more L2/L3 compactions than the window shows: those add a few requests per ")
			.append("5 min and per hour). No replication makes no requests.\n\n");
		java.util.Set<String> ops = new java.util.TreeSet<>();
		writing.values().forEach((m) -> ops.addAll(m.keySet()));
		idle.values().forEach((m) -> ops.addAll(m.keySet()));
		s.append("| operation | ours writing /h | Litestream writing /h | ours idle /h | Litestream idle /h |\n");
		s.append("|---|---|---|---|---|\n");
		for (String op : ops) {
			s.append("| ")
				.append(op)
				.append(" | ")
				.append(perHour(writing.get(Mode.OURS), op, writeSeconds))
				.append(" | ")
				.append(perHour(writing.get(Mode.LITESTREAM), op, writeSeconds))
				.append(" | ")
				.append(perHour(idle.get(Mode.OURS), op, idleSeconds))
				.append(" | ")
				.append(perHour(idle.get(Mode.LITESTREAM), op, idleSeconds))
				.append(" |\n");
		}
		long oursLease = idle.get(Mode.OURS)
			.entrySet()
			.stream()
			.filter((e) -> e.getKey().endsWith("(lease)"))
			.mapToLong(Map.Entry::getValue)
			.sum();
		long oursIdle = idle.get(Mode.OURS).values().stream().mapToLong(Long::longValue).sum() - oursLease;
		long lsIdle = idle.get(Mode.LITESTREAM).values().stream().mapToLong(Long::longValue).sum();
		double oursPuts = puts(writing.get(Mode.OURS)) * 3600.0 / writeSeconds;
		double lsPuts = puts(writing.get(Mode.LITESTREAM)) * 3600.0 / writeSeconds;
		this.targets.add(String.format(Locale.ROOT,
				"| 5. S3 requests when idle | zero (lease renewals apart) | ours %d in %d s + %d lease requests "
						+ "(Litestream %d) | %s |",
				oursIdle, idleSeconds, oursLease, lsIdle, met(oursIdle == 0)));
		this.targets.add(String.format(Locale.ROOT,
				"| 5. S3 PUTs at %d tx/s | ≤ Litestream's | ours %.0f/h, " + "Litestream %.0f/h | %s |", rate, oursPuts,
				lsPuts, met(oursPuts <= lsPuts)));
		this.sections.add(s.toString());
	}

	private static long puts(Map<String, Long> counts) {
		return counts.entrySet()
			.stream()
			.filter((e) -> e.getKey().startsWith("PUT") || e.getKey().equals("COPY"))
			.mapToLong(Map.Entry::getValue)
			.sum();
	}

	private static String perHour(Map<String, Long> counts, String op, int seconds) {
		long n = (counts != null) ? counts.getOrDefault(op, 0L) : 0;
		return String.format(Locale.ROOT, "%.0f", n * 3600.0 / seconds);
	}

	// ---- Scenario 6 ----

	void startup(Map<Boolean, List<Double>> wall, Map<Boolean, List<Double>> spring, List<Double> ratios) {
		StringBuilder s = new StringBuilder("## 6. Start-up cost\n\n");
		s.append("`sample-app` (Spring Boot, web, JDBC, Flyway, actuator) started as `java -jar` with a fresh ")
			.append("database and an empty file replica, once with the starter enabled and once with ")
			.append("`--litestream.enabled=false`, alternating (one discarded warm-up first). Wall-clock ms from ")
			.append("process start to Spring's \"Started\" line, and the time Spring reports. The Litestream ")
			.append("sidecar's own start is not part of an application start, so it has no column.\n\n");
		s.append("| | enabled | disabled | ratio enabled ÷ disabled |\n|---|---|---|---|\n");
		s.append("| wall ms | ")
			.append(Stats.spread(wall.get(true), "%.0f"))
			.append(" | ")
			.append(Stats.spread(wall.get(false), "%.0f"))
			.append(" | ")
			.append(Stats.spread(ratios, "%.2f"))
			.append(" |\n");
		s.append("| Spring-reported ms | ")
			.append(Stats.spread(spring.get(true), "%.0f"))
			.append(" | ")
			.append(Stats.spread(spring.get(false), "%.0f"))
			.append(" | |\n");
		double delta = Stats.median(wall.get(true)) - Stats.median(wall.get(false));
		this.targets.add(String.format(Locale.ROOT,
				"| 6. Start-up cost | (no numeric target: reported) | %+.0f ms (×%.2f) | reported |", delta,
				Stats.median(ratios)));
		this.sections.add(s.toString());
	}

	// ---- Scenario 10 ----

	void restoreUpload(List<RestoreUpload.Run> runs, int rate, int seconds) {
		StringBuilder s = new StringBuilder("## 10. Upload after a restore on startup\n\n");
		long mib = runs.isEmpty() ? 0 : runs.get(0).databaseBytes() >> 20;
		s.append("A ")
			.append(mib)
			.append(" MiB database (the rows of scenario 3) is replicated by a tool to its own replica and the tool ")
			.append("stops. Then the database is restored on startup into an empty directory and replication goes ")
			.append("on while one writer inserts ")
			.append(rate)
			.append(" rows/s for ")
			.append(seconds)
			.append(" s: ours runs `StartupRestore` and then the engine, as the starter does on an empty disk; ")
			.append("Litestream runs `litestream restore -if-db-not-exists -if-replica-exists` and then ")
			.append("`litestream replicate`, the documented way to restore on startup. Both with default settings ")
			.append("(sync interval 1 s, levels 30 s / 5 min / 1 h). Uploaded: the files that appeared in the ")
			.append("replica (or changed size) between the end of the restore and the end of the writes, read from ")
			.append("the replica's directory (S3Proxy: its filesystem backend); the lease object `lock.json` apart. ")
			.append("Full copy: the largest file on the replica before the restore, the tool's LTX file of the whole ")
			.append("database (LZ4-compressed pages; the rows compress well). One row per run.\n\n");
		s.append("| replica | tool | full copy on the replica | restore ms | files uploaded | bytes uploaded ")
			.append("| largest file | uploaded ÷ full copy |\n|---|---|---|---|---|---|---|---|\n");
		for (RestoreUpload.Run r : runs) {
			s.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %d | %s | `%s` (%s) | %.1f %% |%n", r.kind(),
					r.mode().label, bytes(r.fullCopyBytes()), r.restoreMs(), r.files(), bytes(r.bytes()), r.largest(),
					bytes(r.largestBytes()), 100.0 * r.bytes() / r.fullCopyBytes()));
		}
		for (String kind : List.of("file", "S3Proxy")) {
			List<RestoreUpload.Run> ours = runs.stream()
				.filter((r) -> r.kind().equals(kind) && r.mode() == Mode.OURS)
				.toList();
			List<RestoreUpload.Run> ls = runs.stream()
				.filter((r) -> r.kind().equals(kind) && r.mode() == Mode.LITESTREAM)
				.toList();
			if (ours.isEmpty()) {
				continue;
			}
			long worst = ours.stream().mapToLong(RestoreUpload.Run::bytes).max().orElse(0);
			long lsWorst = ls.stream().mapToLong(RestoreUpload.Run::bytes).max().orElse(0);
			long fullCopy = ours.stream().mapToLong(RestoreUpload.Run::fullCopyBytes).min().orElse(0);
			this.targets.add(String.format(Locale.ROOT,
					"| 10. Upload in the first %d s after a restore on startup (%s) | deltas only: < 10 %% of a "
							+ "full copy (%s) | %s (Litestream %s) | %s |",
					seconds, kind, bytes(fullCopy), bytes(worst), bytes(lsWorst), met(worst < fullCopy / 10)));
		}
		this.sections.add(s.toString());
	}

	private static String bytes(long bytes) {
		if (bytes >= 1 << 20) {
			return Stats.fmt("%.1f MiB", bytes / 1048576.0);
		}
		return Stats.fmt("%.1f KiB", bytes / 1024.0);
	}

	void section(String markdown) {
		this.sections.add(markdown);
	}

	void target(String line) {
		this.targets.add(line);
	}

	// ---- Rendering ----

	/**
	 * Renders the report. Scenario sections and target rows of {@code previous} (the
	 * report being replaced) whose scenario this run did not measure are kept, with a
	 * note naming the run they come from; sections and targets are ordered by scenario
	 * number.
	 * @param analysis the hand-written analysis
	 * @param previous the previous report, or an empty string to keep nothing
	 */
	String render(String analysis, String previous) {
		java.util.Set<String> measured = new java.util.HashSet<>();
		for (String section : this.sections) {
			measured.add(scenario(section.substring(3)));
		}
		List<String> sections = new ArrayList<>(this.sections);
		List<String> targets = new ArrayList<>(this.targets);
		java.util.Set<String> kept = new java.util.TreeSet<>();
		for (String section : previousSections(previous)) {
			String number = scenario(section.substring(3));
			if (!measured.contains(number)) {
				sections.add(section);
				kept.add(number);
			}
		}
		for (String line : previous.split("\n")) {
			if (line.matches("\\| [0-9]+\\. .*") && kept.contains(scenario(line.substring(2)))) {
				targets.add(line);
			}
		}
		java.util.Comparator<String> byScenario = java.util.Comparator
			.comparingInt((String text) -> Integer.parseInt(scenario(text.substring(text.startsWith("## ") ? 3 : 2))));
		sections.sort(byScenario);
		targets.sort(byScenario);
		StringBuilder s = new StringBuilder("# Benchmarks\n\n");
		s.append("Generated by `benchmarks/run.sh` on ")
			.append(Instant.now())
			.append(". Do not edit by hand: ")
			.append("rerun the command (see the README's Benchmarks section). Machines are noisy: compare the ")
			.append("ratios, which are computed within each repetition, more than absolute figures.\n\n");
		s.append("## Machine, versions and settings\n\n| | |\n|---|---|\n");
		machine().forEach((k, v) -> s.append("| ").append(k).append(" | ").append(v).append(" |\n"));
		this.settings.forEach((k, v) -> s.append("| ").append(k).append(" | ").append(v).append(" |\n"));
		StringBuilder load = new StringBuilder();
		this.loads.forEach((k, v) -> load.append(k).append(": ").append(v).append("; "));
		s.append("| Load average (1/5/15 min) | ")
			.append(load)
			.append("other engineers build on this 2-core machine ")
			.append("concurrently, so runs are not isolated |\n");
		if (!kept.isEmpty()) {
			// One row per run that measured scenarios shown here, newest first.
			s.append("| Run for scenarios ")
				.append(measured.isEmpty() ? "(none)" : String.join(", ", new java.util.TreeSet<>(measured)))
				.append(" | ")
				.append(Instant.now())
				.append(" (this report's run); repetitions: ")
				.append(this.settings.getOrDefault("Repetitions", "n/a"))
				.append("; load average: ")
				.append(load.toString().replaceAll("; $", ""))
				.append(" |\n");
			boolean legacy = true;
			for (String line : previous.split("\n")) {
				if (line.startsWith("| Run for scenarios ")) {
					legacy = false;
					String[] cells = line.substring(2, line.length() - 2).split(" \\| ", 2);
					List<String> left = new ArrayList<>();
					for (String n : cells[0].substring("Run for scenarios ".length()).split(", ")) {
						if (kept.contains(n)) {
							left.add(n);
						}
					}
					if (!left.isEmpty()) {
						s.append("| Run for scenarios ")
							.append(String.join(", ", left))
							.append(" | ")
							.append(cells[1].replace(" (this report's run)", ""))
							.append(" |\n");
					}
				}
			}
			if (legacy) {
				s.append("| Run for scenarios ")
					.append(String.join(", ", kept))
					.append(" | ")
					.append(previousRun(previous))
					.append(" |\n");
			}
		}
		s.append('\n');
		s.append("## Targets\n\n| target | wanted | measured (median) | verdict |\n|---|---|---|---|\n");
		targets.forEach((t) -> s.append(t).append('\n'));
		s.append('\n');
		sections.forEach((section) -> s.append(section.endsWith("\n\n") ? section : section + "\n"));
		s.append(analysis).append('\n');
		s.append(Notes.TEXT);
		return s.toString();
	}

	/** "7" for "7. Long reader ...". */
	private static String scenario(String text) {
		return text.substring(0, text.indexOf('.'));
	}

	/** The numbered sections of a report, each from its heading to the next heading. */
	private static List<String> previousSections(String previous) {
		List<String> out = new ArrayList<>();
		StringBuilder current = null;
		for (String line : previous.split("\n", -1)) {
			if (line.startsWith("## ")) {
				if (current != null) {
					out.add(current.toString());
				}
				current = line.matches("## [0-9]+\\. .*") ? new StringBuilder() : null;
			}
			if (current != null) {
				current.append(line).append('\n');
			}
		}
		if (current != null) {
			out.add(current.toString());
		}
		return out;
	}

	/** When and under which settings the previous report was generated. */
	private static String previousRun(String previous) {
		StringBuilder s = new StringBuilder();
		java.util.regex.Matcher generated = java.util.regex.Pattern
			.compile("Generated by `benchmarks/run.sh` on (\\S+?)\\.")
			.matcher(previous);
		s.append("generated ").append(generated.find() ? generated.group(1) : "earlier");
		for (String key : List.of("Repetitions", "Scenarios kept from the previous report",
				"Load average (1/5/15 min)")) {
			for (String line : previous.split("\n")) {
				if (line.startsWith("| " + key + " | ")) {
					String value = line.substring(key.length() + 5, line.length() - 2)
						.replace(
								"; other engineers build on this 2-core machine concurrently, so runs are not isolated",
								"")
						.replace("; other engineers build on this machine concurrently, so runs are not isolated", "");
					if (key.startsWith("Scenarios")) {
						// Only which scenarios: their runs are named in that report.
						value = "itself keeping scenarios " + value.substring(0, Math.max(0, value.indexOf(':')))
								+ " from an earlier run";
					}
					else {
						value = key + " then: " + value;
					}
					s.append("; ").append(value);
				}
			}
		}
		return s.toString();
	}

	private static Map<String, String> machine() {
		Map<String, String> m = new LinkedHashMap<>();
		String cpu = "n/a";
		try {
			cpu = Files.readAllLines(Path.of("/proc/cpuinfo"))
				.stream()
				.filter((l) -> l.startsWith("model name"))
				.findFirst()
				.map((l) -> l.substring(l.indexOf(':') + 1).strip())
				.orElse("n/a");
		}
		catch (Exception ex) {
			// Not Linux.
		}
		m.put("CPU", Runtime.getRuntime().availableProcessors() + " cores, " + cpu);
		m.put("Memory",
				String.format(Locale.ROOT, "%.0f GiB",
						((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
							.getTotalMemorySize() / 1073741824.0));
		m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version"));
		m.put("Java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
		try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
			rs.next();
			m.put("SQLite", rs.getString(1) + " (sqlite-jdbc)");
		}
		catch (Exception ex) {
			m.put("SQLite", "n/a");
		}
		m.put("Engine", "litestream-spring-boot " + version());
		return m;
	}

	private static String version() {
		String v = Report.class.getPackage().getImplementationVersion();
		return (v != null) ? v : "0.1.0-SNAPSHOT";
	}

}
