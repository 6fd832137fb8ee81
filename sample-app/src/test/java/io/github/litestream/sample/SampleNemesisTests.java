package io.github.litestream.sample;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.sample.NemesisHistory.Ack;
import io.github.litestream.sample.NemesisHistory.Fault;
import io.github.litestream.sample.NemesisHistory.FaultKind;
import io.github.litestream.sample.NemesisHistory.Interval;
import io.github.litestream.sample.NemesisHistory.LossModel;
import io.github.litestream.sample.NemesisHistory.Losses;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.S3ProxyServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Randomized fault injection in the spirit of Jepsen (issue 18): up to three instances of
 * the sample application (child JVMs, {@link NemesisInstance}) on their own disks and
 * ports replicate to one S3 replica (S3Proxy), each through its own fault-injecting proxy
 * ({@link NemesisProxy}). Two clients per instance post notes to every instance whose
 * readiness is 200 and record every acknowledgement (2xx) with the instance and the wall
 * times of request start and answer; a request that failed or timed out is not an
 * acknowledgement. Meanwhile a nemesis driven by {@code new Random(seed)} acts every 2 to
 * 5 seconds: it starts an instance (on a new disk, or every third time on one a stopped
 * instance left), sends one SIGTERM or SIGKILL, freezes one (SIGSTOP, SIGCONT 1 to 12 s
 * later), partitions one from S3 (packets dropped or connections reset, healed 2 to 20 s
 * later), or runs an in-place restore of the newest state on a ready one. Faults hit
 * instances that were ready at least once (a starting one only one step in four, so that
 * takeovers happen), and the nemesis keeps at least one instance serving or starting.
 * Every action is logged with its time.
 * <p>
 * At the end every fault is healed, the clients keep writing for two lease TTLs (the
 * healed instances recover), then stop, every instance gets SIGTERM, the replica is
 * restored afresh, and two invariants are checked:
 * <ol>
 * <li>Every acknowledged note is in the restored database, except notes an instance
 * acknowledged within the loss window of a fault injected into that instance:
 * {@link #LOSS_MODEL} (a SIGKILL or a frozen process loses at most a sync interval plus
 * the upload in flight; a partitioned instance fences itself two thirds of the TTL after
 * its last renewal, and nothing excuses the loss of a note it acknowledged while cut off
 * past that fence). Every exempted note is printed. A clean stop, a handover and an
 * in-place restore of the newest state lose nothing.</li>
 * <li>No two instances ever acknowledged writes at overlapping times: consecutive
 * acknowledgements of one instance form an interval from the first request's start to the
 * last answer, and no two intervals of different instances may overlap. An answer that a
 * freeze of its instance caught between the write and the socket counts at the SIGSTOP
 * ({@link NemesisHistory#acknowledgedAt}).</li>
 * </ol>
 * The seed fixes the nemesis's draws; which instance an action hits also depends on how
 * fast the instances start, so a replay with the same seed is similar, not identical. The
 * seed, the operation log ({@code operations.log}), the report with every exempted note
 * ({@code report.txt}), the child JVMs' logs and disks, and after a failure a copy of the
 * replica ({@code replica/}) stay in {@code target/nemesis/seed-<seed>-<time>/}.
 * <p>
 * Properties: {@code litestream.nemesis.seed} (default 42),
 * {@code litestream.nemesis.seconds} (how long the nemesis acts, default 60),
 * {@code litestream.nemesis.instances} (at most this many at once, default 3). A long
 * run:
 *
 * <pre>
 * ./mvnw -B -pl sample-app -am test -Dtest=SampleNemesisTests -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlitestream.nemesis.seed=$RANDOM -Dlitestream.nemesis.seconds=1800
 * </pre>
 */
class SampleNemesisTests {

	static final Duration SYNC_INTERVAL = Duration.ofMillis(100);

	static final Duration LEASE_TTL = Duration.ofSeconds(6);

	/**
	 * The allowed loss windows: 3 s before a SIGKILL, SIGSTOP or partition (one 100 ms
	 * sync interval plus an upload in flight on a loaded two-core machine), 4 s after a
	 * partition (two thirds of the 6 s TTL), 1 s for an answer in flight.
	 */
	static final LossModel LOSS_MODEL = new LossModel(Duration.ofSeconds(3), LEASE_TTL.multipliedBy(2).dividedBy(3),
			Duration.ofSeconds(1));

	private static final long SEED = Long.getLong("litestream.nemesis.seed", 42L);

	private static final Duration NEMESIS = Duration.ofSeconds(Long.getLong("litestream.nemesis.seconds", 60L));

	private static final int MAX_INSTANCES = Integer.getInteger("litestream.nemesis.instances", 3);

	private static final int CLIENTS_PER_INSTANCE = 2;

	/** Longer than the longest freeze plus a restore's drain: a timeout is no answer. */
	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

	/** After the heals, before the clients stop: two lease TTLs. */
	private static final Duration RECOVERY = LEASE_TTL.multipliedBy(2);

	private static final Duration FIRST_START_TIMEOUT = Duration.ofMinutes(3);

	private static final String PREFIX = "notes";

	private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

	private static final Pattern CREATED_AT = Pattern.compile("\"createdAt\"\\s*:\\s*\"([^\"]+)\"");

	private final List<NemesisInstance> instances = new CopyOnWriteArrayList<>();

	private final List<Path> dataDirs = new ArrayList<>();

	private final List<Thread> threads = new CopyOnWriteArrayList<>();

	private final List<Pending> pending = new ArrayList<>();

	private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();

	private final AtomicLong attempts = new AtomicLong();

	private final List<String> badExits = new CopyOnWriteArrayList<>();

	private final AtomicInteger names = new AtomicInteger();

	private volatile boolean clientsStopped;

	private volatile boolean monitorStopped;

	private @Nullable S3ProxyServer s3;

	private @Nullable NemesisHistory history;

	private @Nullable Path runDir;

	private String bucket = "";

	@AfterEach
	void cleanUp() {
		this.clientsStopped = true;
		this.monitorStopped = true;
		for (NemesisInstance instance : this.instances) {
			instance.close();
		}
		S3ProxyServer server = this.s3;
		if (server != null) {
			server.close();
		}
	}

	@Test
	void acknowledgedNotesSurviveAndNoTwoInstancesAcknowledgeAtOnceUnderRandomFaults() throws Exception {
		Path dir = Path
			.of("target", "nemesis",
					"seed-" + SEED + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))
			.toAbsolutePath();
		Files.createDirectories(dir);
		this.runDir = dir;
		NemesisHistory history = new NemesisHistory(NemesisHistory.now(), dir.resolve("operations.log"));
		this.history = history;
		String parameters = "seed " + SEED + ", " + NEMESIS.toSeconds() + " s of nemesis, at most " + MAX_INSTANCES
				+ " instances, lease TTL " + LEASE_TTL.toSeconds() + " s, sync interval " + SYNC_INTERVAL.toMillis()
				+ " ms; replay with -Dlitestream.nemesis.seed=" + SEED + " -Dlitestream.nemesis.seconds="
				+ NEMESIS.toSeconds() + "; files in " + dir;
		history.op("run: %s", parameters);
		S3ProxyServer server = S3ProxyServer.start();
		this.s3 = server;
		this.bucket = server.createBucket("nemesis");
		history.op("S3: %s, bucket %s, prefix %s", server.describe(), this.bucket, PREFIX);

		Thread monitor = daemon("nemesis-monitor", this::monitor);
		monitor.start();
		NemesisInstance first = start("first instance");
		awaitFirstReady(first);

		Random random = new Random(SEED);
		long end = NemesisHistory.now() + NEMESIS.toNanos() / 1000;
		long next = NemesisHistory.now();
		while (NemesisHistory.now() < end) {
			runDuePending(false);
			if (NemesisHistory.now() >= next) {
				// Always the same draws per step, whatever the state, so that a replay
				// stays aligned with the seed.
				double op = random.nextDouble();
				int target = random.nextInt(1 << 20);
				double length = random.nextDouble();
				boolean drop = random.nextBoolean();
				long delay = 2000 + random.nextInt(3000);
				step(op, target, length, drop);
				next = NemesisHistory.now() + delay * 1000;
			}
			Thread.sleep(50);
		}

		history.op("nemesis over: healing every fault");
		runDuePending(true);
		for (Thread thread : this.threads) {
			if (thread.getName().startsWith("nemesis-op")) {
				thread.join(Duration.ofMinutes(2).toMillis());
			}
		}
		// Like Jepsen's final recovery: the healed instances renew, upload their backlog
		// or find that they were taken over, while the clients keep writing
		history.op("recovery: %d s with every fault healed (%s)", RECOVERY.toSeconds(), states());
		Thread.sleep(RECOVERY.toMillis());
		history.op("stopping the clients (in-flight requests finish)");
		this.clientsStopped = true;
		for (Thread thread : this.threads) {
			if (thread.getName().startsWith("nemesis-client")) {
				thread.join(REQUEST_TIMEOUT.plusSeconds(10).toMillis());
				assertThat(thread.isAlive()).as("client %s stopped", thread.getName()).isFalse();
			}
		}
		this.monitorStopped = true;
		monitor.join();
		stopAll();

		Path restored = dir.resolve("restored.db");
		S3ReplicaClient client = S3ReplicaClient.builder(server.client(), this.bucket).prefix(PREFIX).build();
		String restoreFailure = null;
		Set<String> notes = Set.of();
		String integrity = "not checked";
		try {
			if (new Restorer().restore(client, restored, RestoreOptions.defaults()).isEmpty()) {
				restoreFailure = "the replica holds no backup";
			}
			else {
				notes = notes(restored);
				integrity = integrityCheck(restored);
			}
		}
		catch (IOException | RuntimeException ex) {
			restoreFailure = ex.toString();
		}
		verify(history, notes, integrity, restoreFailure, parameters);
	}

	/**
	 * One nemesis step: picks an applicable action with the draws, and does it.
	 */
	private void step(double op, int target, double length, boolean drop) {
		NemesisHistory history = history();
		List<NemesisInstance> live = this.instances.stream().filter((i) -> i.isAlive() && !i.stopping).toList();
		boolean anyStarting = live.stream().anyMatch(NemesisInstance::starting);
		if (live.stream().noneMatch(NemesisInstance::serviceable)) {
			// Nothing serves or may serve again: keep the service alive
			if (live.size() >= MAX_INSTANCES) {
				NemesisInstance idle = live.get(target % live.size());
				history.op("SIGTERM %s (pid %d): slots full and none serves; it is %s", idle.name(), idle.pid(),
						idle.ready ? "ready" : "not ready");
				terminate(idle);
			}
			start("none serves or starts");
			return;
		}
		List<String> actions = new ArrayList<>();
		if (live.size() < MAX_INSTANCES && !anyStarting) {
			actions.addAll(List.of("START", "START", "START"));
		}
		// Faults mostly hit instances that served: a starting one only one time in four,
		// so that takeovers (and two writers, if the lease allows them) happen at all
		boolean hitStarting = (target >> 16) % 4 == 0;
		List<NemesisInstance> targets = live.stream().filter((i) -> hitStarting || i.everReady).toList();
		List<NemesisInstance> stoppable = targets.stream()
			.filter((i) -> !i.frozen)
			.filter((i) -> !i.serviceable() || live.stream().anyMatch((o) -> o != i && o.serviceable()))
			.toList();
		if (!stoppable.isEmpty()) {
			actions.addAll(List.of("SIGTERM", "SIGKILL", "SIGKILL"));
		}
		List<NemesisInstance> freezable = targets.stream().filter((i) -> !i.frozen).toList();
		if (!freezable.isEmpty()) {
			actions.addAll(List.of("FREEZE", "FREEZE"));
		}
		List<NemesisInstance> partitionable = targets.stream().filter((i) -> !i.partitioned && !i.frozen).toList();
		if (!partitionable.isEmpty()) {
			actions.addAll(List.of("PARTITION", "PARTITION"));
		}
		List<NemesisInstance> restorable = live.stream()
			.filter((i) -> i.ready && !i.frozen && !i.partitioned && !i.restoring)
			.toList();
		if (!restorable.isEmpty()) {
			actions.add("RESTORE");
		}
		if (actions.isEmpty()) {
			history.op("nothing applicable (%s)", states());
			return;
		}
		String action = actions.get((int) (op * actions.size()));
		switch (action) {
			case "START" -> start("nemesis");
			case "SIGTERM" -> {
				NemesisInstance victim = stoppable.get((target & 0xffff) % stoppable.size());
				history.op("SIGTERM %s (pid %d, %s)", victim.name(), victim.pid(), state(victim));
				terminate(victim);
			}
			case "SIGKILL" -> {
				NemesisInstance victim = stoppable.get((target & 0xffff) % stoppable.size());
				String before = state(victim);
				long at = NemesisHistory.now();
				victim.stopping = true;
				victim.ready = false;
				int exit = victim.kill();
				history.fault(new Fault(FaultKind.KILL, victim.name(), at, at));
				history.op("SIGKILL %s (pid %d, %s): exit %d", victim.name(), victim.pid(), before, exit);
			}
			case "FREEZE" -> {
				NemesisInstance victim = freezable.get((target & 0xffff) % freezable.size());
				long millis = 1000 + Math.round(length * 11_000);
				String before = state(victim);
				victim.frozen = true;
				victim.ready = false;
				long at = NemesisHistory.now();
				victim.signal("STOP");
				history.op("SIGSTOP %s (pid %d, %s) for %d ms", victim.name(), victim.pid(), before, millis);
				schedule(at + millis * 1000, "SIGCONT " + victim.name(), () -> {
					victim.signal("CONT");
					long to = NemesisHistory.now();
					victim.frozen = false;
					history.fault(new Fault(FaultKind.FREEZE, victim.name(), at, to));
					history.op("SIGCONT %s (pid %d) after %d ms", victim.name(), victim.pid(), (to - at) / 1000);
				});
			}
			case "PARTITION" -> {
				NemesisInstance victim = partitionable.get((target & 0xffff) % partitionable.size());
				long millis = 2000 + Math.round(length * 18_000);
				NemesisProxy.Mode mode = drop ? NemesisProxy.Mode.DROP : NemesisProxy.Mode.RESET;
				String before = state(victim);
				long at = NemesisHistory.now();
				victim.partitioned = true;
				victim.proxy().partition(mode);
				history.op("PARTITION %s (pid %d, %s) from S3 (%s) for %d ms", victim.name(), victim.pid(), before,
						mode, millis);
				schedule(at + millis * 1000, "HEAL " + victim.name(), () -> {
					victim.proxy().heal();
					long to = NemesisHistory.now();
					victim.partitioned = false;
					history.fault(new Fault(FaultKind.PARTITION, victim.name(), at, to));
					history.op("HEAL %s (pid %d) after %d ms", victim.name(), victim.pid(), (to - at) / 1000);
				});
			}
			case "RESTORE" -> {
				NemesisInstance victim = restorable.get((target & 0xffff) % restorable.size());
				victim.restoring = true;
				history.op("RESTORE %s (pid %d, %s): POST /actuator/litestream/%s/restore (newest state)",
						victim.name(), victim.pid(), state(victim), NemesisInstance.DATABASE);
				Thread thread = daemon("nemesis-op-restore-" + victim.name(), () -> {
					long at = NemesisHistory.now();
					try {
						HttpResponse<String> response = victim.restoreLatest(Duration.ofMinutes(1));
						history.op("RESTORE %s answered %d in %d ms: %s", victim.name(), response.statusCode(),
								(NemesisHistory.now() - at) / 1000, abbreviate(response.body(), 300));
					}
					catch (IOException ex) {
						history.op("RESTORE %s failed after %d ms: %s", victim.name(),
								(NemesisHistory.now() - at) / 1000, ex);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					finally {
						victim.restoring = false;
					}
				});
				thread.start();
			}
			default -> throw new IllegalStateException(action);
		}
	}

	private NemesisInstance start(String why) {
		NemesisHistory history = history();
		String name = "n" + this.names.incrementAndGet();
		Set<Path> inUse = this.instances.stream()
			.filter(NemesisInstance::isAlive)
			.map(NemesisInstance::dataDir)
			.collect(Collectors.toSet());
		List<Path> free = this.dataDirs.stream().filter((d) -> !inUse.contains(d)).toList();
		// Every third start on a disk a stopped instance left (a restart), if there is
		// one
		Path dataDir;
		if (!free.isEmpty() && this.names.get() % 3 == 0) {
			dataDir = free.get(this.names.get() % free.size());
		}
		else {
			dataDir = runDir().resolve("disk" + (this.dataDirs.size() + 1));
			this.dataDirs.add(dataDir);
		}
		try {
			Files.createDirectories(dataDir);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		NemesisInstance instance = NemesisInstance.start(runDir(), name, dataDir, s3(), this.bucket, PREFIX);
		this.instances.add(instance);
		history.op("START %s (pid %d) on %s (%s), via %s (%s)", name, instance.pid(), dataDir.getFileName(),
				Files.exists(dataDir.resolve("notes.db")) ? "existing database" : "empty disk", instance.proxy(), why);
		for (int client = 0; client < CLIENTS_PER_INSTANCE; client++) {
			int id = client;
			Thread thread = daemon("nemesis-client-" + name + "-" + id, () -> write(instance, id));
			thread.start();
		}
		return instance;
	}

	private void awaitFirstReady(NemesisInstance first) throws InterruptedException {
		long deadline = System.nanoTime() + FIRST_START_TIMEOUT.toNanos();
		while (!first.ready) {
			if (!first.isAlive() || System.nanoTime() > deadline) {
				fail("The first instance did not turn ready within " + FIRST_START_TIMEOUT + "\n" + first.outputTail());
			}
			Thread.sleep(100);
		}
	}

	private void terminate(NemesisInstance victim) {
		victim.stopping = true;
		victim.ready = false;
		long at = NemesisHistory.now();
		Thread thread = daemon("nemesis-op-term-" + victim.name(), () -> {
			int exit = victim.terminate();
			history().op("%s (pid %d) exited after SIGTERM: %d in %d ms%s", victim.name(), victim.pid(), exit,
					(NemesisHistory.now() - at) / 1000,
					(exit == 143) ? "" : " (not 143: SIGKILLed after " + ChildJvm.STOP_GRACE + " or failed)");
		});
		thread.start();
	}

	/**
	 * One client of one instance: posts notes while the instance is ready, until the
	 * clients stop or the instance is gone.
	 */
	private void write(NemesisInstance instance, int client) {
		NemesisHistory history = history();
		int sequence = 0;
		while (!this.clientsStopped && instance.isAlive()) {
			if (!instance.ready) {
				pause(50);
				continue;
			}
			String text = instance.name() + "-c" + client + "-" + String.format(Locale.ROOT, "%06d", ++sequence);
			this.attempts.incrementAndGet();
			long start = NemesisHistory.now();
			try {
				HttpResponse<String> response = instance.post(text, REQUEST_TIMEOUT);
				long end = NemesisHistory.now();
				int status = response.statusCode();
				if (status >= 200 && status < 300) {
					history.ack(new Ack(text, id(response.body()), instance.name(), start, end,
							createdAt(response.body())));
				}
				else {
					count(instance.name() + " " + status);
				}
			}
			catch (IOException ex) {
				count(instance.name() + " " + ex.getClass().getSimpleName());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			pause(15);
		}
	}

	private static long id(String body) {
		Matcher matcher = ID.matcher(body);
		return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
	}

	/**
	 * The note's {@code createdAt}; without one, as late as possible (the answer then
	 * counts when it arrived, see {@link NemesisHistory#acknowledgedAt}).
	 */
	private static long createdAt(String body) {
		Matcher matcher = CREATED_AT.matcher(body);
		return matcher.find() ? NemesisHistory.micros(Instant.parse(matcher.group(1))) : Long.MAX_VALUE;
	}

	private void count(String key) {
		this.refused.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
	}

	/**
	 * Polls the readiness of every live instance, logs changes and instances that exit by
	 * themselves.
	 */
	private void monitor() {
		NemesisHistory history = history();
		Set<String> exited = new HashSet<>();
		while (!this.monitorStopped) {
			for (NemesisInstance instance : this.instances) {
				if (!instance.isAlive()) {
					instance.ready = false;
					if (exited.add(instance.name())) {
						instance.proxy().close();
						if (!instance.stopping) {
							history.op("%s (pid %d) exited by itself: %d; see %s.out/.err", instance.name(),
									instance.pid(), instance.exitCode().orElse(-1), instance.name());
						}
					}
					continue;
				}
				if (instance.frozen || instance.stopping) {
					continue;
				}
				int status = instance.readiness();
				boolean ready = status == 200;
				if (ready != instance.ready && !instance.frozen && !instance.stopping) {
					instance.ready = ready;
					if (ready) {
						instance.everReady = true;
						history.op("%s ready", instance.name());
					}
					else {
						history.op("%s not ready (readiness %d); litestream health: %s", instance.name(), status,
								abbreviate(instance.litestreamHealth(), 300));
					}
				}
			}
			pause(200);
		}
	}

	private void schedule(long at, String what, Runnable action) {
		synchronized (this.pending) {
			this.pending.add(new Pending(at, what, action));
		}
	}

	/**
	 * Runs the scheduled heals and SIGCONTs that are due, or all of them.
	 */
	private void runDuePending(boolean all) {
		List<Pending> due = new ArrayList<>();
		synchronized (this.pending) {
			long now = NemesisHistory.now();
			for (Pending p : List.copyOf(this.pending)) {
				if (all || p.at() <= now) {
					due.add(p);
					this.pending.remove(p);
				}
			}
		}
		for (Pending p : due) {
			p.action().run();
		}
	}

	private void stopAll() throws InterruptedException {
		NemesisHistory history = history();
		List<Thread> stops = new ArrayList<>();
		for (NemesisInstance instance : this.instances) {
			if (instance.isAlive()) {
				String before = state(instance);
				long at = NemesisHistory.now();
				history.op("SIGTERM %s (pid %d, %s): end of the run", instance.name(), instance.pid(), before);
				Thread stop = daemon("nemesis-stop-" + instance.name(), () -> {
					int exit = instance.terminate();
					if (exit != 143) {
						this.badExits.add(instance + " exited with " + exit + " after the final SIGTERM (143 expected; "
								+ "137 means it was SIGKILLed after " + ChildJvm.STOP_GRACE + ")");
					}
					history.op("%s (pid %d) exited after SIGTERM: %d in %d ms", instance.name(), instance.pid(), exit,
							(NemesisHistory.now() - at) / 1000);
				});
				stop.start();
				stops.add(stop);
			}
		}
		for (Thread stop : stops) {
			stop.join(ChildJvm.STOP_GRACE.plusSeconds(40).toMillis());
		}
		for (NemesisInstance instance : this.instances) {
			instance.proxy().close();
			assertThat(instance.isAlive()).as("%s stopped", instance).isFalse();
		}
	}

	private void verify(NemesisHistory history, Set<String> restored, String integrity, @Nullable String restoreFailure,
			String parameters) {
		Losses losses = history.losses(restored, LOSS_MODEL);
		List<Interval[]> overlaps = history.overlaps();
		List<Interval> intervals = history.intervals();
		Map<String, Integer> byInstance = new TreeMap<>();
		for (Ack ack : history.acks()) {
			byInstance.merge(ack.instance(), 1, Integer::sum);
		}
		int exemptedMissing = (int) losses.exempted()
			.values()
			.stream()
			.flatMap(List::stream)
			.filter((ack) -> !restored.contains(ack.text()))
			.count();
		int exempted = losses.exempted().values().stream().mapToInt(List::size).sum();
		StringBuilder report = new StringBuilder();
		report.append("Nemesis run: ").append(parameters).append('\n');
		report.append(String.format(Locale.ROOT,
				"%d requests, %d acknowledged %s, %d notes in the restore; not acknowledged: %s%n", this.attempts.get(),
				losses.acknowledged(), byInstance, restored.size(), new TreeMap<>(this.refused)));
		report.append(String.format(Locale.ROOT, "%d acknowledgement intervals; loss model: %s%n", intervals.size(),
				LOSS_MODEL));
		report.append(String.format(Locale.ROOT, "Exempted: %d notes, %d of them missing from the restore%n", exempted,
				exemptedMissing));
		report.append(history.describeExempted(losses.exempted(), restored));
		report.append("Operations:\n");
		history.log().forEach((line) -> report.append("  ").append(line).append('\n'));
		System.out.println(report);
		try {
			Files.writeString(runDir().resolve("report.txt"), report);
		}
		catch (IOException ex) {
			history.op("could not write report.txt: %s", ex);
		}

		List<String> problems = new ArrayList<>();
		if (restoreFailure != null) {
			problems.add(String.format(Locale.ROOT,
					"(a) the replica cannot be restored: %s; none of the %d acknowledged notes can be recovered "
							+ "from it (see which instance last wrote it in the operation log and its .out file)",
					restoreFailure, losses.acknowledged()));
		}
		else if (!"ok".equals(integrity)) {
			problems.add("integrity_check of the restored database: " + integrity);
		}
		if (!this.badExits.isEmpty()) {
			problems.add("A clean stop failed: " + this.badExits);
		}
		if (restoreFailure == null && !losses.lost().isEmpty()) {
			problems.add(String.format(Locale.ROOT,
					"(a) %d of %d acknowledged notes are missing from a fresh restore without a fault that allows it "
							+ "(%d more missing but exempted), by instance and time:%n%s",
					losses.lost().size(), losses.acknowledged(), exemptedMissing, history.describeLost(losses.lost())));
		}
		if (!overlaps.isEmpty()) {
			Interval[] firstOverlap = overlaps.get(0);
			long from = Math.max(firstOverlap[0].start(), firstOverlap[1].start());
			long to = Math.min(firstOverlap[0].end(), firstOverlap[1].end());
			Map<String, Integer> pairs = new TreeMap<>();
			for (Interval[] pair : overlaps) {
				pairs.merge(pair[0].instance() + "/" + pair[1].instance(), 1, Integer::sum);
			}
			problems.add(String.format(Locale.ROOT,
					"(b) two instances acknowledged writes at overlapping times, %d overlapping pairs of intervals %s;"
							+ " the first, %s..%s:%n  %s%n  %s%n  operations from 10 s before:%n    %s",
					overlaps.size(), pairs, history.at(from), history.at(to), history.describe(firstOverlap[0]),
					history.describe(firstOverlap[1]), String.join("\n    ", history.log(from - 10_000_000L, to))));
		}
		if (!problems.isEmpty()) {
			keepReplica();
			fail("Nemesis run (" + parameters + ") broke " + problems.size() + " invariant(s):\n"
					+ String.join("\n", problems) + "\n(the operation log and every exempted note are on stdout and in "
					+ runDir() + ")");
		}
	}

	/**
	 * Copies the replica's objects into the run's directory ({@code replica/}), for a
	 * failed run: the S3 server's own files go when it stops.
	 */
	private void keepReplica() {
		Path target = runDir().resolve("replica");
		S3Client client = s3().client();
		try {
			for (S3Object object : client.listObjectsV2Paginator((request) -> request.bucket(this.bucket)).contents()) {
				Path file = target.resolve(object.key());
				Files.createDirectories(file.getParent());
				Files.write(file, client.getObjectAsBytes((request) -> request.bucket(this.bucket).key(object.key()))
					.asByteArray());
			}
			history().op("replica kept in %s", target);
		}
		catch (IOException | RuntimeException ex) {
			history().op("could not keep the replica: %s", ex);
		}
	}

	private static Set<String> notes(Path db) throws Exception {
		Set<String> texts = new HashSet<>();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT text FROM note")) {
			while (rs.next()) {
				texts.add(rs.getString(1));
			}
		}
		return texts;
	}

	private static String integrityCheck(Path db) throws Exception {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA integrity_check")) {
			return rs.next() ? rs.getString(1) : "<no result>";
		}
	}

	private String states() {
		return this.instances.stream()
			.filter(NemesisInstance::isAlive)
			.map((i) -> i.name() + " " + state(i))
			.collect(Collectors.joining(", "));
	}

	private static String state(NemesisInstance instance) {
		List<String> flags = new ArrayList<>();
		flags.add(instance.ready ? "ready" : (instance.everReady ? "unready" : "starting"));
		if (instance.frozen) {
			flags.add("frozen");
		}
		if (instance.partitioned) {
			flags.add("partitioned");
		}
		if (instance.restoring) {
			flags.add("restoring");
		}
		return String.join("+", flags);
	}

	private static String abbreviate(String text, int max) {
		String oneLine = text.replace('\n', ' ');
		return (oneLine.length() <= max) ? oneLine : oneLine.substring(0, max) + "...";
	}

	private Thread daemon(String name, Runnable body) {
		Thread thread = new Thread(body, name);
		thread.setDaemon(true);
		this.threads.add(thread);
		return thread;
	}

	private static void pause(long millis) {
		try {
			// Pacing, not synchronisation
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private NemesisHistory history() {
		NemesisHistory history = this.history;
		if (history == null) {
			throw new IllegalStateException("No run");
		}
		return history;
	}

	private S3ProxyServer s3() {
		S3ProxyServer server = this.s3;
		if (server == null) {
			throw new IllegalStateException("No S3 server");
		}
		return server;
	}

	private Path runDir() {
		Path dir = this.runDir;
		if (dir == null) {
			throw new IllegalStateException("No run");
		}
		return dir;
	}

	/**
	 * A heal or a SIGCONT due at a time.
	 */
	private record Pending(long at, String what, Runnable action) {
	}

}
