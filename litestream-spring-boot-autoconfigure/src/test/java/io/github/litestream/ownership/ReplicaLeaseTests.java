package io.github.litestream.ownership;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.S3ServerExtension;
import io.github.litestream.testsupport.UnreachableReplicaClient;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The single-writer lease (DESIGN 4.14) on real file replicas and a real S3 server:
 * acquisition races, take-over after expiry or release, fencing of a holder that cannot
 * renew, and the conditional creates that keep two histories apart even without a lease.
 */
class ReplicaLeaseTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	/** Short enough for tests; the renewal at most a third of it, as the rule asks. */
	private static final LeaseConfig SHORT = new LeaseConfig(true, Duration.ofMillis(1500), Duration.ofMillis(300));

	@TempDir
	Path dir;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	private final List<ReplicaLease> leases = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (ReplicaLease lease : this.leases) {
			lease.abandon();
		}
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	private ReplicaClient client(String backend, String location) {
		if (backend.equals("file")) {
			return new FileReplicaClient(this.dir.resolve(location));
		}
		return S3ReplicaClient.builder(s3.server().client(), bucket()).prefix(location).build();
	}

	private @Nullable String bucket;

	private String bucket() {
		if (this.bucket == null) {
			this.bucket = s3.server().createBucket("lease");
		}
		return this.bucket;
	}

	private ReplicaLease lease(ReplicaClient client, LeaseConfig config, String owner) {
		return lease(client, config, owner, Clock.systemUTC());
	}

	private ReplicaLease lease(ReplicaClient client, LeaseConfig config, String owner, Clock clock) {
		ReplicaLease lease = new ReplicaLease("app", clock, config, "r", client,
				new ReplicaLease.Identity(owner, UUID.randomUUID().toString()), OwnershipListener.NO_OP, () -> {
				});
		this.leases.add(lease);
		return lease;
	}

	@ParameterizedTest
	@ValueSource(strings = { "file", "s3" })
	void fiftyRacesOfTwoInstancesForAFreshLeaseLeaveExactlyOneHolderEachTime(String backend) throws Exception {
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			for (int race = 0; race < 50; race++) {
				ReplicaLease first = lease(client(backend, "race-" + race), SHORT, "first:1");
				ReplicaLease second = lease(client(backend, "race-" + race), SHORT, "second:2");
				CountDownLatch go = new CountDownLatch(1);
				List<Future<?>> starts = new ArrayList<>();
				for (ReplicaLease lease : List.of(first, second)) {
					starts.add(executor.submit(() -> {
						go.await();
						lease.start();
						return null;
					}));
				}
				go.countDown();
				for (Future<?> start : starts) {
					start.get(30, TimeUnit.SECONDS);
				}
				assertThat(first.mayWrite() ^ second.mayWrite()).as("exactly one holder after race %d", race).isTrue();
				ReplicaLease winner = first.mayWrite() ? first : second;
				ReplicaLease loser = (winner == first) ? second : first;
				assertThat(winner.status().epoch()).isEqualTo(1);
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(loser.status().holder()).isEqualTo(winner.status().holder()));
				assertThat(loser.state()).isEqualTo(ReplicaLease.State.WAITING);
				assertThat(loser.status().state()).isEqualTo("WAITING");
				first.stop();
				second.stop();
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "file", "s3" })
	void holderKilledWithoutReleaseIsSucceededOnlyAfterItsLeaseExpires(String backend) throws Exception {
		ReplicaLease holder = lease(client(backend, "killed"), SHORT, "holder:1");
		holder.start();
		assertThat(holder.mayWrite()).isTrue();
		// Killed with SIGKILL: no release, no more renewals
		holder.abandon();
		Instant expiresAt = holder.status().expiresAt();
		ReplicaLease successor = lease(client(backend, "killed"), SHORT, "successor:2");
		Overlap overlap = Overlap.watch(holder, successor);
		successor.start();
		await().atMost(Duration.ofSeconds(10)).until(successor::mayWrite);
		overlap.stop();
		assertThat(overlap.seen()).as("both could write at once").isFalse();
		LeaseRecord taken = storedLease(client(backend, "killed"));
		assertThat(taken.generation()).isEqualTo(2);
		assertThat(taken.owner()).isEqualTo("successor:2");
		assertThat(taken.acquiredAt()).as("taken over only after the expiry").isAfterOrEqualTo(expiresAt);
	}

	@ParameterizedTest
	@ValueSource(strings = { "file", "s3" })
	void releasedLeaseIsTakenWithoutWaitingForItsExpiry(String backend) throws Exception {
		ReplicaLease holder = lease(client(backend, "released"), SHORT, "holder:1");
		holder.start();
		Instant expiresAt = holder.status().expiresAt();
		holder.stop();
		assertThat(storedLease(client(backend, "released")).isReleased()).isTrue();
		ReplicaLease successor = lease(client(backend, "released"), SHORT, "successor:2");
		successor.start();
		assertThat(successor.mayWrite()).isTrue();
		LeaseRecord taken = storedLease(client(backend, "released"));
		assertThat(taken.generation()).isEqualTo(2);
		assertThat(taken.acquiredAt()).isBefore(expiresAt);
	}

	@ParameterizedTest
	@ValueSource(strings = { "file", "s3" })
	void holderThatCannotRenewStopsWritingBeforeItsLeaseExpiresAndThenWaits(String backend) throws Exception {
		UnreachableReplicaClient flaky = new UnreachableReplicaClient(client(backend, "fenced"));
		ReplicaLease holder = lease(flaky, SHORT, "holder:1");
		holder.start();
		ReplicaLease contender = lease(client(backend, "fenced"), SHORT, "contender:2");
		contender.start();
		assertThat(contender.mayWrite()).isFalse();
		Overlap overlap = Overlap.watch(holder, contender);
		flaky.unreachable().set(true);
		// Fenced two thirds of the TTL after its last renewal; the contender takes over a
		// TTL after it saw that renewal (expiry by observation): the Overlap watch below
		// checks that the two never could write at once, without comparing wall clocks
		await().atMost(Duration.ofSeconds(10)).until(() -> holder.state() == ReplicaLease.State.FENCED);
		assertThat(holder.mayWrite()).isFalse();
		assertThat(holder.status().state()).isEqualTo("FENCED");
		await().atMost(Duration.ofSeconds(10)).until(contender::mayWrite);
		// The replica answers the old holder again: it finds the new holder and waits
		flaky.unreachable().set(false);
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(holder.status().holder()).isEqualTo("contender:2"));
		assertThat(holder.state()).isEqualTo(ReplicaLease.State.WAITING);
		assertThat(holder.mayWrite()).isFalse();
		overlap.stop();
		assertThat(overlap.seen()).as("both could write at once").isFalse();
	}

	@Test
	void contenderWhoseClockRunsAheadDoesNotTakeALiveLeaseEarly() throws Exception {
		ReplicaLease holder = lease(client("file", "skew"), SHORT, "holder:1");
		holder.start();
		// 40 s ahead: by its wall clock the holder's expires_at passed long ago
		Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(40));
		ReplicaLease contender = lease(client("file", "skew"), SHORT, "contender:2", ahead);
		contender.start();
		Overlap overlap = Overlap.watch(holder, contender);
		// Expiry is judged by observation: the holder renews, so the version never stays
		// unchanged for a TTL
		await().during(SHORT.ttl().multipliedBy(3)).atMost(SHORT.ttl().multipliedBy(5)).until(holder::mayWrite);
		assertThat(contender.mayWrite()).isFalse();
		// Once the holder is gone (killed, no release) the lease is taken after a TTL
		holder.abandon();
		await().atMost(Duration.ofSeconds(10)).until(contender::mayWrite);
		overlap.stop();
		assertThat(overlap.seen()).as("both could write at once").isFalse();
	}

	@Test
	void holderThatCouldNotRenewTakesItsUntouchedLeaseAgainAsANewGeneration() throws Exception {
		UnreachableReplicaClient flaky = new UnreachableReplicaClient(client("file", "again"));
		ReplicaLease holder = lease(flaky, SHORT, "holder:1");
		holder.start();
		long term = holder.term();
		flaky.unreachable().set(true);
		await().atMost(Duration.ofSeconds(10)).until(() -> holder.state() == ReplicaLease.State.FENCED);
		flaky.unreachable().set(false);
		await().atMost(Duration.ofSeconds(10)).until(holder::mayWrite);
		assertThat(holder.term()).as("writers read the replica again").isGreaterThan(term);
		assertThat(storedLease(client("file", "again")).generation()).isEqualTo(2);
	}

	@Test
	void handoverRequestWrittenIntoTheLeaseIsKeptByTheHolder() throws Exception {
		ReplicaClient client = client("file", "handover");
		ReplicaLease holder = lease(client, SHORT, "holder:1");
		holder.start();
		LeaseObject stored = client.readLease();
		LeaseRecord asked = LeaseRecord.parse(stored.content()).withRequest("newcomer:2", Instant.now());
		client.replaceLease(asked.encode(), stored.version());
		await().atMost(Duration.ofSeconds(10)).until(() -> storedLease(client).expiresAt().isAfter(asked.expiresAt()));
		LeaseRecord renewed = storedLease(client);
		assertThat(renewed.requestedBy()).isEqualTo("newcomer:2");
		assertThat(renewed.generation()).isEqualTo(1);
		assertThat(holder.mayWrite()).isTrue();
	}

	@Test
	void holderStoppedWhileAHandoverRequestIsPendingStillReleasesItsLease() throws Exception {
		ReplicaClient client = client("file", "stop-with-request");
		ReplicaLease holder = lease(client, SHORT, "holder:1");
		holder.start();
		LeaseObject stored = client.readLease();
		// The contender's request changes the lease's version under the holder
		client.replaceLease(LeaseRecord.parse(stored.content()).withRequest("newcomer:2/y", Instant.now()).encode(),
				stored.version());
		holder.releaseWith(7);
		holder.stop();
		LeaseRecord released = storedLease(client);
		assertThat(released.isReleased()).isTrue();
		assertThat(released.finalTxid()).isEqualTo(7);
		assertThat(released.generation()).isEqualTo(1);
	}

	@Test
	void staleHandoverRequestOfAContenderThatGaveUpIsNotPassedOnAndAFreshOneIsOnce() throws Exception {
		ReplicaClient client = client("file", "stale-request");
		ReplicaLease holder = lease(client, SHORT, "holder:1");
		List<String> requests = new CopyOnWriteArrayList<>();
		holder.onHandoverRequested(requests::add);
		holder.start();
		LeaseObject stored = client.readLease();
		LeaseRecord stale = LeaseRecord.parse(stored.content())
			.withRequest("gone:3/x", Instant.now().minus(SHORT.ttl().multipliedBy(2)));
		client.replaceLease(stale.encode(), stored.version());
		await().atMost(Duration.ofSeconds(10)).until(() -> storedLease(client).expiresAt().isAfter(stale.expiresAt()));
		// A few renewals with the stale request kept
		LeaseRecord kept = storedLease(client);
		await().atMost(Duration.ofSeconds(10)).until(() -> storedLease(client).expiresAt().isAfter(kept.expiresAt()));
		assertThat(requests).isEmpty();
		stored = client.readLease();
		LeaseRecord fresh = LeaseRecord.parse(stored.content()).withRequest("newcomer:2/y", Instant.now());
		client.replaceLease(fresh.encode(), stored.version());
		await().atMost(Duration.ofSeconds(10)).until(() -> !requests.isEmpty());
		LeaseRecord later = storedLease(client);
		await().atMost(Duration.ofSeconds(10)).until(() -> storedLease(client).expiresAt().isAfter(later.expiresAt()));
		assertThat(requests).containsExactly("newcomer:2/y");
	}

	@Test
	void leaseObjectKeepsLitestreamsFieldsAndReadsLitestreamsLease() throws Exception {
		ReplicaClient client = client("file", "format");
		ReplicaLease holder = lease(client, SHORT, "host:42");
		holder.start();
		String json = new String(client.readLease().content(), StandardCharsets.UTF_8);
		assertThat(json).startsWith("{\"generation\":1,\"expires_at\":\"").contains("\"owner\":\"host:42\"");
		holder.stop();
		// As Litestream's leaser writes it (Go's RFC 3339 with nanoseconds), unexpired
		ReplicaClient other = client("file", "litestream");
		String expiry = Instant.now().plusSeconds(60).toString();
		other.createLease(("{\"generation\":7,\"expires_at\":\"" + expiry + "\",\"owner\":\"litestream-host:99\"}")
			.getBytes(StandardCharsets.UTF_8));
		ReplicaLease waiting = lease(other, SHORT, "ours:1");
		waiting.start();
		assertThat(waiting.mayWrite()).isFalse();
		assertThat(waiting.status().holder()).isEqualTo("litestream-host:99");
		assertThat(waiting.status().epoch()).isEqualTo(7);
	}

	private static LeaseRecord storedLease(ReplicaClient client) throws IOException {
		LeaseObject stored = client.readLease();
		assertThat(stored).isNotNull();
		return LeaseRecord.parse(stored.content());
	}

	/**
	 * Watches two leases on a thread and remembers whether both allowed writing at once.
	 */
	private static final class Overlap {

		private final AtomicBoolean seen = new AtomicBoolean();

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final Thread thread;

		private Overlap(ReplicaLease a, ReplicaLease b) {
			this.thread = new Thread(() -> {
				while (this.running.get()) {
					if (a.mayWrite() && b.mayWrite()) {
						this.seen.set(true);
					}
					// Sampled often, without taking a whole core from the lease threads
					LockSupport.parkNanos(20_000);
				}
			}, "overlap-watch");
			this.thread.setDaemon(true);
		}

		static Overlap watch(ReplicaLease a, ReplicaLease b) {
			Overlap overlap = new Overlap(a, b);
			overlap.thread.start();
			return overlap;
		}

		void stop() throws InterruptedException {
			this.running.set(false);
			this.thread.join();
		}

		boolean seen() {
			return this.seen.get();
		}

	}

}
