package io.github.litestream.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.BootAppInstance;
import io.github.litestream.testsupport.S3ProxyServer;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The lease gates the application (DESIGN 4.14-4.15, issue 18): the three situations in
 * which two real sample-app JVMs on one S3 replica used to acknowledge writes at the same
 * time and lose some of them. Each instance reaches S3Proxy through its own
 * {@link HttpFaultProxy}, so one of them can be faulted alone; the lease is short (TTL 6
 * s, renewed every second, fenced 4 s after the last renewal) so that a scenario takes
 * well under a minute.
 * <p>
 * Clients post notes all the time, round robin over the instances that listen, and record
 * when each note was acknowledged (2xx) and by whom. Checked at the end of every
 * scenario, beside what each scenario states:
 * <ul>
 * <li>the acknowledgements, in the order the clients received them, never go from one
 * instance to another and back (at most one instance acknowledges writes at a time, and a
 * successor's first acknowledgement comes after its predecessor's last);</li>
 * <li>every acknowledged note is in a fresh restore of the replica, except what the
 * scenario allows to lose.</li>
 * </ul>
 */
class SampleOwnershipScenarioTests {

	private static final Duration TTL = Duration.ofSeconds(6);

	private static final Duration RENEW_INTERVAL = Duration.ofSeconds(1);

	/**
	 * Two thirds of the TTL after its last renewal, a holder stops writing the replica.
	 */
	private static final Duration FENCE_AFTER = TTL.multipliedBy(2).dividedBy(3);

	/**
	 * Slack for a commit made just before the fence whose answer reaches the client
	 * later.
	 */
	private static final Duration ACK_MARGIN = Duration.ofSeconds(1);

	private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

	private static final Duration WRITE_TIMEOUT = Duration.ofMinutes(2);

	private static final Duration SERVING_TIMEOUT = Duration.ofMinutes(1);

	private static final int NOTES_PER_PHASE = 40;

	private static final int CLIENTS = 2;

	private static final String DATABASE = "dataSource";

	private static final Pattern TXID = Pattern.compile("\"txid\"\\s*:\\s*\"?(\\d+)");

	private static final Pattern NOTE_TEXT = Pattern.compile("\"text\"\\s*:\\s*\"([^\"]*)\"");

	private static final long EPOCH = System.nanoTime();

	private static @Nullable S3ProxyServer s3;

	@TempDir
	Path dir;

	@BeforeAll
	static void startS3() {
		s3 = S3ProxyServer.start();
	}

	@AfterAll
	static void stopS3() {
		S3ProxyServer server = s3;
		if (server != null) {
			server.close();
		}
	}

	/**
	 * Issue 18, first row: a rolling deploy whose new instance cannot read
	 * {@code lock.json} for its first 5 s (its proxy answers 500 to it, also after the
	 * SDK's retries). It must keep trying, serve nothing and not turn ready before it
	 * holds the lease, and take it through the normal handover: when it turns ready the
	 * old instance has handed over (its readiness is 503), and nothing acknowledged is
	 * lost. (Before issue 18: B read the failure as "nobody holds it", turned ready while
	 * A was still ready, both acknowledged, and B's 63 notes were lost.)
	 */
	@Test
	void newInstanceThatCannotReadTheLeaseAtFirstWaitsForTheHandover() throws Exception {
		S3Replica replica = s3Replica("lease-read-fails");
		Clients clients = new Clients();
		int aReadinessWhenBWasReady;
		String aHealthWhenBWasReady;
		try (HttpFaultProxy proxyA = HttpFaultProxy.start("a", s3().endpoint());
				HttpFaultProxy proxyB = HttpFaultProxy.start("b", s3().endpoint());
				Instance a = new Instance("a", proxyA);
				Instance b = new Instance("b", proxyB)) {
			a.start(this.dir, replica);
			a.awaitListening();
			a.awaitReady();
			clients.add(a);
			clients.start();
			clients.awaitAcknowledged(a, NOTES_PER_PHASE);

			proxyB.failLockRequests(Duration.ofSeconds(5));
			b.start(this.dir, replica);
			b.awaitListening();
			clients.add(b);
			b.awaitReady();
			aReadinessWhenBWasReady = a.readiness();
			aHealthWhenBWasReady = a.health();
			assertThat(proxyB.lockFailures()).as("lock.json requests of B answered 500 (%s)", proxyB).isPositive();

			a.stop();
			clients.awaitAcknowledged(b, clients.acknowledged(b) + NOTES_PER_PHASE);
			clients.stop();
			b.stop();
		}
		finally {
			clients.stop();
		}
		Set<String> missing = missing(clients.acknowledged(), restore(replica));
		String summary = clients.summary();
		report("lease read fails", clients, "A's readiness when B was ready: " + aReadinessWhenBWasReady + ", "
				+ missing.size() + " acknowledged notes missing");
		SoftAssertions.assertSoftly((softly) -> {
			softly.assertThat(aReadinessWhenBWasReady)
				.as("A's readiness once B was ready (A handed over before B served)")
				.isEqualTo(503);
			// Boot's db indicator included: a handed-over instance is out of service, not
			// down (a Docker HEALTHCHECK or an autoheal would restart it)
			softly.assertThat(aHealthWhenBWasReady)
				.as("A's /actuator/health once B was ready")
				.contains("\"status\":\"OUT_OF_SERVICE\"")
				.doesNotContain("\"status\":\"DOWN\"");
			softly.assertThat(clients.overlaps().size())
				.as("acknowledgements that went back to an instance after another one acknowledged: %s (%s)",
						examples(clients.overlaps()), summary)
				.isZero();
			softly.assertThat(missing.size())
				.as("acknowledged notes missing from the restore, of %d: %s (%s)", clients.acknowledged().size(),
						examples(missing), summary)
				.isZero();
		});
	}

	/**
	 * Issue 18, second row: the holder A loses its path to S3 for three TTLs while
	 * clients keep writing to it, and B starts meanwhile. From its fence on (two thirds
	 * of the TTL after its last renewal, so at the latest {@code cut + 4 s}) A refuses
	 * writes with 503 (a problem detail or {@code Retry-After}) and still answers reads;
	 * B takes the lease after the TTL and serves; when the partition heals A stops
	 * serving (it was supplanted). Lost may be only notes A acknowledged before its
	 * fence. (Before issue 18: A acknowledged about 1,300 notes after its fence, the last
	 * 18 s after the cut, all lost.)
	 */
	@Test
	void holderCutOffFromTheReplicaRefusesWritesFromItsFenceOn() throws Exception {
		S3Replica replica = s3Replica("partition");
		Clients clients = new Clients();
		List<Response> readsOfA = new CopyOnWriteArrayList<>();
		ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor();
		long cut;
		long healed;
		@Nullable String aStillServing = null;
		try (HttpFaultProxy proxyA = HttpFaultProxy.start("a", s3().endpoint());
				HttpFaultProxy proxyB = HttpFaultProxy.start("b", s3().endpoint());
				Instance a = new Instance("a", proxyA);
				Instance b = new Instance("b", proxyB)) {
			a.start(this.dir, replica);
			a.awaitListening();
			a.awaitReady();
			clients.add(a);
			clients.start();
			clients.awaitAcknowledged(a, NOTES_PER_PHASE);

			cut = System.nanoTime();
			proxyA.partition();
			reader.scheduleWithFixedDelay(() -> readsOfA.add(a.read("/api/notes/count")), 0, 200,
					TimeUnit.MILLISECONDS);
			b.start(this.dir, replica);
			b.awaitListening();
			clients.add(b);
			b.awaitReady();
			// The fault lasts three TTLs (the scenario, not a synchronisation)
			long partitionEnd = cut + TTL.multipliedBy(3).toNanos();
			await("end of the partition").atMost(TTL.multipliedBy(4))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> System.nanoTime() - partitionEnd >= 0);
			healed = System.nanoTime();
			proxyA.heal();
			try {
				await("A stops serving after the partition healed").atMost(SERVING_TIMEOUT)
					.pollInterval(Duration.ofMillis(200))
					.ignoreExceptions()
					.until(() -> !is2xx(a.get("/api/notes/count").statusCode()) && a.readiness() == 503);
			}
			catch (ConditionTimeoutException ex) {
				aStillServing = "GET /api/notes/count " + a.get("/api/notes/count").statusCode() + ", readiness "
						+ a.readiness();
			}
			clients.awaitAcknowledged(b, clients.acknowledged(b) + NOTES_PER_PHASE);
			clients.stop();
			reader.shutdownNow();
			a.stop();
			b.stop();
		}
		finally {
			clients.stop();
			reader.shutdownNow();
		}
		long fenced = cut + FENCE_AFTER.plus(ACK_MARGIN).toNanos();
		Map<String, Ack> acknowledged = clients.acknowledged();
		Set<String> missing = missing(acknowledged, restore(replica));
		Set<String> lostBeyondTheBound = missing.stream()
			.filter((text) -> !acknowledged.get(text).instance().equals("a") || acknowledged.get(text).at() > fenced)
			.collect(Collectors.toCollection(TreeSet::new));
		List<Response> aAfterFence = clients.responses((r) -> r.instance().equals("a") && r.at() > fenced);
		List<Response> aAcksAfterFence = aAfterFence.stream().filter(Response::acknowledged).toList();
		List<Response> aWritesWhileFenced = aAfterFence.stream().filter((r) -> r.at() < healed).toList();
		List<Response> readsWhileFenced = readsOfA.stream().filter((r) -> r.at() > fenced && r.at() < healed).toList();
		String summary = clients.summary();
		String tail = aAcksAfterFence.isEmpty() ? "none" : aAcksAfterFence.size() + ", the last at cut + "
				+ millis(aAcksAfterFence.get(aAcksAfterFence.size() - 1).at() - cut) + " ms";
		report("partition", clients,
				missing.size() + " acknowledged notes missing (" + lostBeyondTheBound.size()
						+ " beyond the bound), A's acknowledgements after cut + " + millis(fenced - cut) + " ms: "
						+ tail + ", A's answers to writes while fenced: " + statuses(aWritesWhileFenced)
						+ ", A's answers to reads while fenced: " + statuses(readsWhileFenced));
		String stillServing = aStillServing;
		SoftAssertions.assertSoftly((softly) -> {
			softly.assertThat(aAcksAfterFence.size())
				.as("writes A acknowledged later than cut + %d ms (fence + margin): %s", millis(fenced - cut),
						examples(aAcksAfterFence))
				.isZero();
			softly.assertThat(aWritesWhileFenced).as("A's answers to writes while fenced").isNotEmpty();
			List<Response> not503 = aWritesWhileFenced.stream()
				.filter((r) -> r.status() != 503 || (r.retryAfter() == null && r.body().isBlank()))
				.toList();
			softly.assertThat(not503.size())
				.as("A's answers to writes while fenced that are not 503 with Retry-After or a problem detail, of %d: "
						+ "%s", aWritesWhileFenced.size(), examples(not503))
				.isZero();
			softly.assertThat(readsWhileFenced).as("A's answers to GET /api/notes/count while fenced").isNotEmpty();
			List<Response> failedReads = readsWhileFenced.stream().filter((r) -> r.status() != 200).toList();
			softly.assertThat(failedReads.size())
				.as("A's answers to GET /api/notes/count while fenced that are not 200, of %d: %s",
						readsWhileFenced.size(), examples(failedReads))
				.isZero();
			softly.assertThat(stillServing).as("A after the partition healed (supplanted by B)").isNull();
			softly.assertThat(clients.overlaps().size())
				.as("acknowledgements that went back to an instance after another one acknowledged: %s (%s)",
						examples(clients.overlaps()), summary)
				.isZero();
			softly.assertThat(lostBeyondTheBound.size())
				.as("acknowledged notes missing from the restore that A did not acknowledge before cut + %d ms, of %d "
						+ "missing: %s (%s)", millis(fenced - cut), missing.size(), examples(lostBeyondTheBound),
						summary)
				.isZero();
		});
	}

	/**
	 * Issue 18, third row: an operator restores the holder A in place to an earlier TXID
	 * while B, just started, asks for the database. B's {@code lock.json} requests are
	 * held until A's restore is downloading (and its downloads are held for 4 s, so the
	 * restore takes that long). The restore must keep the lease for its whole duration:
	 * it answers 200 with the requested TXID, B gets the database only after it and
	 * serves the restored state (the notes rolled back do not come back, in B or in the
	 * replica), and every note acknowledged after the restore (by A, then B) is in the
	 * replica. (Before issue 18: B took the lease the restore released, restored the
	 * state before it and served beside A: every rolled-back note came back, and a third
	 * of the notes acknowledged after the restore were lost.)
	 */
	@Test
	void inPlaceRestoreKeepsTheLeaseWhileANewInstanceWaits() throws Exception {
		S3Replica replica = s3Replica("in-place-restore");
		Clients clients = new Clients();
		long syncSent;
		long syncDone;
		long restoreSent;
		long restoreDone;
		long target;
		HttpResponse<String> restored;
		List<String> notesInB;
		try (HttpFaultProxy proxyA = HttpFaultProxy.start("a", s3().endpoint());
				HttpFaultProxy proxyB = HttpFaultProxy.start("b", s3().endpoint());
				Instance a = new Instance("a", proxyA);
				Instance b = new Instance("b", proxyB)) {
			a.start(this.dir, replica);
			a.awaitListening();
			a.awaitReady();
			clients.add(a);
			clients.start();
			clients.awaitAcknowledged(a, NOTES_PER_PHASE);

			syncSent = System.nanoTime();
			HttpResponse<String> sync = a.operate("sync", "{}");
			syncDone = System.nanoTime();
			assertThat(sync.statusCode()).as("sync: %s", sync.body()).isEqualTo(200);
			target = txid(sync.body());
			// Acknowledged after the target: rolled back by the restore
			clients.awaitAcknowledged(a, clients.acknowledged(a) + NOTES_PER_PHASE);

			proxyB.holdLockRequests();
			b.start(this.dir, replica);
			await("B asks for the lease").atMost(START_TIMEOUT)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> proxyB.lockRequests() > 0);
			int ltxGets = proxyA.ltxGets();
			proxyA.holdLtxGets(Duration.ofSeconds(4));
			restoreSent = System.nanoTime();
			CompletableFuture<HttpResponse<String>> restore = a.operateAsync("restore", "{\"txid\":" + target + "}");
			await("A's restore downloads").atMost(WRITE_TIMEOUT)
				.pollInterval(Duration.ofMillis(20))
				.until(() -> proxyA.ltxGets() > ltxGets || restore.isDone());
			proxyB.releaseLockRequests();
			restored = restore.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			restoreDone = System.nanoTime();

			b.awaitListening();
			clients.add(b);
			b.awaitReady();
			clients.awaitAcknowledged(b, clients.acknowledged(b) + NOTES_PER_PHASE);
			clients.stop();
			notesInB = b.notes();
			a.stop();
			b.stop();
		}
		finally {
			clients.stop();
		}
		Map<String, Ack> acknowledged = clients.acknowledged();
		Set<String> inReplica = notes(restore(replica));
		Set<String> rolledBack = select(acknowledged,
				(ack) -> ack.instance().equals("a") && ack.sent() > syncDone && ack.at() < restoreSent);
		Set<String> kept = select(acknowledged, (ack) -> ack.at() < syncSent || ack.sent() > restoreDone);
		Set<String> keptButMissing = new TreeSet<>(kept);
		keptButMissing.removeAll(inReplica);
		Set<String> rolledBackInReplica = new TreeSet<>(rolledBack);
		rolledBackInReplica.retainAll(inReplica);
		Set<String> rolledBackInB = new TreeSet<>(rolledBack);
		rolledBackInB.retainAll(notesInB);
		Set<String> bBeforeRestore = select(acknowledged,
				(ack) -> ack.instance().equals("b") && ack.at() < restoreDone);
		String summary = clients.summary();
		report("in-place restore", clients,
				"restore " + restored.statusCode() + " " + restored.body() + " (target " + target + "), "
						+ keptButMissing.size() + " of " + kept.size() + " kept notes missing, "
						+ rolledBackInReplica.size() + " of " + rolledBack.size()
						+ " rolled-back notes in the replica, " + rolledBackInB.size() + " in B, "
						+ bBeforeRestore.size() + " acknowledged by B before the restore answered");
		SoftAssertions.assertSoftly((softly) -> {
			softly.assertThat(restored.statusCode()).as("restore answer: %s", restored.body()).isEqualTo(200);
			softly.assertThat(txid(restored.body())).as("TXID restored: %s", restored.body()).isEqualTo(target);
			softly.assertThat(rolledBack).as("notes acknowledged after the target and before the restore").isNotEmpty();
			softly.assertThat(bBeforeRestore).as("notes B acknowledged before A's restore answered").isEmpty();
			softly.assertThat(clients.overlaps().size())
				.as("acknowledgements that went back to an instance after another one acknowledged: %s (%s)",
						examples(clients.overlaps()), summary)
				.isZero();
			softly.assertThat(rolledBackInB.size())
				.as("rolled-back notes that came back in B, of %d: %s", rolledBack.size(), examples(rolledBackInB))
				.isZero();
			softly.assertThat(rolledBackInReplica.size())
				.as("rolled-back notes that came back in the replica, of %d: %s", rolledBack.size(),
						examples(rolledBackInReplica))
				.isZero();
			softly.assertThat(keptButMissing.size())
				.as("notes acknowledged before the target or after the restore missing from the replica, of %d: %s "
						+ "(%s)", kept.size(), examples(keptButMissing), summary)
				.isZero();
		});
	}

	// ------------------------------------------------------------------ support

	private static S3ProxyServer s3() {
		S3ProxyServer server = s3;
		if (server == null) {
			throw new IllegalStateException("S3Proxy not started");
		}
		return server;
	}

	private static S3Replica s3Replica(String bucket) {
		return new S3Replica(s3(), s3().createBucket(bucket));
	}

	private Path restore(S3Replica replica) throws Exception {
		Path restored = this.dir.resolve("restored-" + replica.bucket() + ".db");
		assertThat(new Restorer().restore(replica.client(), restored, RestoreOptions.defaults())).isPresent();
		return restored;
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

	private static Set<String> missing(Map<String, Ack> acknowledged, Path restored) throws Exception {
		Set<String> missing = new TreeSet<>(acknowledged.keySet());
		missing.removeAll(notes(restored));
		return missing;
	}

	private static Set<String> select(Map<String, Ack> acknowledged, Predicate<Ack> filter) {
		return acknowledged.entrySet()
			.stream()
			.filter((entry) -> filter.test(entry.getValue()))
			.map(Map.Entry::getKey)
			.collect(Collectors.toCollection(TreeSet::new));
	}

	private static long txid(String body) {
		Matcher matcher = TXID.matcher(body);
		assertThat(matcher.find()).as("a TXID in %s", body).isTrue();
		return Long.parseLong(matcher.group(1));
	}

	/**
	 * The first few elements, for an assertion message.
	 */
	private static String examples(Collection<?> elements) {
		return elements.stream().limit(3).map(String::valueOf).collect(Collectors.joining("; ", "[", "]"))
				+ ((elements.size() > 3) ? " and " + (elements.size() - 3) + " more" : "");
	}

	private static boolean is2xx(int status) {
		return status >= 200 && status < 300;
	}

	private static long millis(long nanos) {
		return TimeUnit.NANOSECONDS.toMillis(nanos);
	}

	private static String statuses(List<Response> responses) {
		return responses.stream()
			.collect(Collectors.groupingBy(Response::status, LinkedHashMap::new, Collectors.counting()))
			.toString();
	}

	private static void report(String scenario, Clients clients, String outcome) {
		System.out.println("[" + scenario + "] " + clients.summary() + "; " + outcome);
	}

	record S3Replica(S3ProxyServer server, String bucket) {

		private static final String PREFIX = "notes";

		List<String> applicationArguments(URI endpoint) {
			return List.of("--litestream.replicas[0].name=s3",
					"--litestream.replicas[0].url=s3://" + this.bucket + "/" + PREFIX,
					"--litestream.replicas[0].endpoint=" + endpoint,
					"--litestream.replicas[0].region=" + this.server.region(),
					"--litestream.replicas[0].force-path-style=true",
					"--litestream.replicas[0].access-key-id=" + this.server.accessKey(),
					"--litestream.replicas[0].secret-access-key=" + this.server.secretKey());
		}

		ReplicaClient client() {
			return S3ReplicaClient.builder(this.server.client(), this.bucket).prefix(PREFIX).build();
		}

	}

	/**
	 * One answer to a client, or its failure (status -1).
	 *
	 * @param text the note posted, or the path read
	 * @param instance who answered
	 * @param sent when the request was sent ({@link System#nanoTime()})
	 * @param at when the answer arrived
	 * @param status the HTTP status, -1 if the request failed
	 * @param retryAfter the {@code Retry-After} header
	 * @param body the body, or the exception
	 */
	record Response(String text, String instance, long sent, long at, int status, @Nullable String retryAfter,
			String body) {

		boolean acknowledged() {
			return is2xx(this.status);
		}

		@Override
		public String toString() {
			return this.instance + " " + this.text + " at +" + millis(this.at - EPOCH) + " ms: " + this.status
					+ ((this.retryAfter != null) ? " Retry-After " + this.retryAfter : "") + " "
					+ ((this.body.length() > 200) ? this.body.substring(0, 200) + "..." : this.body);
		}

	}

	/**
	 * An acknowledged note.
	 *
	 * @param instance who acknowledged it
	 * @param sent when it was posted
	 * @param at when the acknowledgement arrived
	 */
	record Ack(String instance, long sent, long at) {
	}

	/**
	 * One instance of the sample application in a child JVM ({@link BootAppInstance}), on
	 * its own data directory, reaching the replica through its own fault proxy.
	 */
	static final class Instance implements AutoCloseable {

		private final BootAppInstance app;

		private final HttpFaultProxy proxy;

		Instance(String name, HttpFaultProxy proxy) {
			this.app = new BootAppInstance(name);
			this.proxy = proxy;
		}

		void start(Path dir, S3Replica replica) {
			List<String> args = new ArrayList<>(
					List.of("--spring.datasource.url=jdbc:sqlite:" + dir.resolve(name()).resolve("notes.db"),
							"--litestream.replicas[0].sync-interval=100ms", "--litestream.monitor-interval=100ms",
							"--litestream.lease.ttl=" + TTL.toMillis() + "ms",
							"--litestream.lease.renew-interval=" + RENEW_INTERVAL.toMillis() + "ms"));
			args.addAll(replica.applicationArguments(this.proxy.endpoint()));
			this.app.start(dir, SampleApplication.class, args);
		}

		String name() {
			return this.app.name();
		}

		/**
		 * Waits for the application's web server (not the management one).
		 */
		void awaitListening() {
			this.app.awaitApplicationPort();
		}

		void awaitReady() {
			this.app.awaitReady();
		}

		String health() throws IOException, InterruptedException {
			return this.app.managementGet("/actuator/health").body();
		}

		int readiness() throws IOException, InterruptedException {
			return this.app.readiness();
		}

		HttpResponse<String> get(String path) throws IOException, InterruptedException {
			return this.app.get(path);
		}

		/**
		 * A read, recorded whatever happens.
		 */
		Response read(String path) {
			long sent = System.nanoTime();
			try {
				HttpResponse<String> response = get(path);
				return new Response(path, name(), sent, System.nanoTime(), response.statusCode(),
						response.headers().firstValue("Retry-After").orElse(null), response.body());
			}
			catch (IOException | RuntimeException ex) {
				return new Response(path, name(), sent, System.nanoTime(), -1, null, ex.toString());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return new Response(path, name(), sent, System.nanoTime(), -1, null, ex.toString());
			}
		}

		List<String> notes() throws IOException, InterruptedException {
			HttpResponse<String> response = get("/api/notes");
			assertThat(response.statusCode()).as("GET /api/notes on %s", this).isEqualTo(200);
			List<String> texts = new ArrayList<>();
			Matcher matcher = NOTE_TEXT.matcher(response.body());
			while (matcher.find()) {
				texts.add(matcher.group(1));
			}
			return texts;
		}

		HttpResponse<String> post(String text) throws IOException, InterruptedException {
			return this.app.post("/api/notes", "{\"text\":\"" + text + "\"}");
		}

		/**
		 * {@code POST /actuator/litestream/dataSource/{operation}}.
		 */
		HttpResponse<String> operate(String operation, String body) throws IOException, InterruptedException {
			return this.app.managementPost(operation(operation), body);
		}

		CompletableFuture<HttpResponse<String>> operateAsync(String operation, String body) {
			return this.app.managementPostAsync(operation(operation), body, START_TIMEOUT);
		}

		private static String operation(String operation) {
			return "/actuator/litestream/" + DATABASE + "/" + operation;
		}

		void stop() {
			this.app.stop();
		}

		@Override
		public void close() {
			this.app.close();
		}

		@Override
		public String toString() {
			return this.app.toString();
		}

	}

	/**
	 * Clients that post notes continuously, round robin over the instances that listen,
	 * and record every answer with the time it arrived.
	 */
	static final class Clients {

		private final List<Instance> instances = new CopyOnWriteArrayList<>();

		private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(CLIENTS);

		private final ConcurrentLinkedQueue<Response> responses = new ConcurrentLinkedQueue<>();

		void add(Instance instance) {
			this.instances.add(instance);
		}

		void start() {
			for (int client = 0; client < CLIENTS; client++) {
				int id = client;
				AtomicInteger sequence = new AtomicInteger();
				// Paced, so that the JVMs starting meanwhile get CPU time
				this.executor.scheduleWithFixedDelay(() -> postOne(id, sequence.incrementAndGet()), 0, 5,
						TimeUnit.MILLISECONDS);
			}
		}

		private void postOne(int client, int sequence) {
			List<Instance> targets = this.instances;
			Instance target = targets.get(sequence % targets.size());
			String text = "c" + client + "-" + sequence;
			long sent = System.nanoTime();
			try {
				HttpResponse<String> response = target.post(text);
				this.responses.add(new Response(text, target.name(), sent, System.nanoTime(), response.statusCode(),
						response.headers().firstValue("Retry-After").orElse(null), response.body()));
			}
			catch (IOException | RuntimeException ex) {
				this.responses.add(new Response(text, target.name(), sent, System.nanoTime(), -1, null,
						ex.getClass().getSimpleName()));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		int acknowledged(Instance instance) {
			int count = 0;
			for (Response response : this.responses) {
				if (response.acknowledged() && response.instance().equals(instance.name())) {
					count++;
				}
			}
			return count;
		}

		void awaitAcknowledged(Instance instance, int count) {
			await(count + " notes acknowledged by " + instance).atMost(WRITE_TIMEOUT)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> acknowledged(instance) >= count);
		}

		void stop() throws InterruptedException {
			this.executor.shutdownNow();
			assertThat(this.executor.awaitTermination(1, TimeUnit.MINUTES)).as("clients stopped").isTrue();
		}

		List<Response> responses(Predicate<Response> filter) {
			return this.responses.stream().filter(filter).sorted(Comparator.comparingLong(Response::at)).toList();
		}

		Map<String, Ack> acknowledged() {
			Map<String, Ack> acks = new LinkedHashMap<>();
			for (Response response : responses(Response::acknowledged)) {
				acks.put(response.text(), new Ack(response.instance(), response.sent(), response.at()));
			}
			return acks;
		}

		/**
		 * The acknowledgements, in arrival order, that went back to an instance after
		 * another one had acknowledged: each is described with the other instance's
		 * acknowledgement it came after. Empty when the instances acknowledged one after
		 * the other (A...A B...B).
		 */
		List<String> overlaps() {
			List<Response> acks = responses(Response::acknowledged);
			List<String> overlaps = new ArrayList<>();
			Set<String> finished = new HashSet<>();
			Response previous = null;
			for (Response ack : acks) {
				if (previous != null && !previous.instance().equals(ack.instance())) {
					finished.add(previous.instance());
					if (finished.contains(ack.instance())) {
						overlaps.add(ack + " after " + previous);
					}
				}
				previous = ack;
			}
			return overlaps;
		}

		String summary() {
			Map<String, Map<Integer, Long>> byInstance = new LinkedHashMap<>();
			for (Response response : responses((r) -> true)) {
				byInstance.computeIfAbsent(response.instance(), (name) -> new LinkedHashMap<>())
					.merge(response.status(), 1L, Long::sum);
			}
			Map<String, String> intervals = new LinkedHashMap<>();
			for (Response ack : responses(Response::acknowledged)) {
				intervals.merge(ack.instance(), "+" + millis(ack.at() - EPOCH) + "..+" + millis(ack.at() - EPOCH),
						(first, last) -> first.substring(0, first.indexOf("..")) + last.substring(last.indexOf("..")));
			}
			return String.format(Locale.ROOT, "answers by instance and status %s, acknowledged from..to (ms) %s",
					byInstance, intervals);
		}

	}

}
