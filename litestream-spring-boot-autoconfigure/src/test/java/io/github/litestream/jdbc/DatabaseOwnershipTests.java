package io.github.litestream.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.litestream.core.RestoreResult;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.ownership.OwnershipState;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ForwardingReplicaClient;
import io.github.litestream.testsupport.UnreachableReplicaClient;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The lease gates the application (DESIGN 4.14-4.15): an instance hands out no connection
 * before it holds the lease, refuses writes from the moment it cannot renew it (reads go
 * on), and keeps it for the whole of an in-place restore. Regression tests for the
 * situations in which acknowledged writes were lost: a newcomer whose first lease reads
 * failed served beside the holder; a holder cut off from its replica kept acknowledging
 * writes; an in-place restore released the lease and a waiting instance took it in
 * between.
 */
class DatabaseOwnershipTests {

	@TempDir
	Path dir;

	private final List<TestInstance> open = new ArrayList<>();

	@AfterEach
	void closeAll() {
		for (TestInstance instance : this.open) {
			instance.close();
		}
	}

	@Test
	void newcomerWhoseLeaseReadsFailServesNothingUntilTheHolderHandsOver() throws Exception {
		TestInstance holder = instance("holder", new AtomicBoolean(), new AtomicBoolean());
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		AtomicBoolean leaseReadsFail = new AtomicBoolean(true);
		TestInstance newcomer = instance("newcomer", new AtomicBoolean(), leaseReadsFail);
		CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
			try {
				newcomer.start();
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		// A failed read is retried, never read as "nobody holds it"
		await().during(Duration.ofSeconds(2))
			.atMost(Duration.ofSeconds(10))
			.until(() -> !started.isDone() && newcomer.database.getOwnership().state() == OwnershipState.ACQUIRING
					&& holder.database.getOwnership().mayAcknowledgeWrites());
		holder.execute("INSERT INTO notes VALUES (1, 'written while the newcomer could not read the lease')");
		leaseReadsFail.set(false);
		started.get();
		assertThat(holder.database.getOwnership().state()).isEqualTo(OwnershipState.HANDED_OVER);
		assertThat(newcomer.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		assertThat(newcomer.ids()).containsExactly(1);
		newcomer.execute("INSERT INTO notes VALUES (2, 'new holder')");
		newcomer.close();
		assertThat(restoredIds()).containsExactlyInAnyOrder(1, 2);
	}

	@Test
	void holderCutOffFromItsReplicaRefusesWritesFromTheFenceOnAndServesReads() throws Exception {
		AtomicBoolean cutOff = new AtomicBoolean();
		TestInstance holder = instance("holder", cutOff, new AtomicBoolean());
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		holder.execute("INSERT INTO notes VALUES (1, 'replicated')");
		assertThat(holder.database.sync().replicated()).isTrue();
		cutOff.set(true);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> holder.database.getOwnership().state() == OwnershipState.FENCED);
		assertThatExceptionOfType(DatabaseReadOnlyException.class)
			.isThrownBy(() -> holder.execute("INSERT INTO notes VALUES (2, 'would not be replicated')"))
			.withMessageContaining("'app'")
			.withMessageContaining("replica 'file'");
		// Borrowed before the fence, committed after it: rolled back, not acknowledged
		assertThat(holder.ids()).containsExactly(1);
		cutOff.set(false);
		// The untouched lease is renewed: writes resume, the backlog is uploaded
		await().atMost(Duration.ofSeconds(10))
			.until(() -> holder.database.getOwnership().state() == OwnershipState.OWNER);
		holder.execute("INSERT INTO notes VALUES (3, 'after the outage')");
		assertThat(holder.database.sync().replicated()).isTrue();
		holder.close();
		assertThat(restoredIds()).containsExactlyInAnyOrder(1, 3);
	}

	@Test
	void holderStoppedRightAfterAPartitionHealsUploadsTheWritesItAcknowledgedBeforeItsFence() throws Exception {
		AtomicBoolean cutOff = new AtomicBoolean();
		TestInstance holder = instance("holder", cutOff, new AtomicBoolean());
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		assertThat(holder.database.sync().replicated()).isTrue();
		cutOff.set(true);
		// Acknowledged before the fence, not uploaded: the backlog
		holder.execute("INSERT INTO notes VALUES (1, 'acknowledged while cut off')");
		await().atMost(Duration.ofSeconds(10))
			.until(() -> holder.database.getOwnership().state() == OwnershipState.FENCED);
		// A SIGTERM just as the replica answers again: the stop takes the untouched lease
		// again and uploads the backlog instead of leaving it behind
		cutOff.set(false);
		holder.close();
		assertThat(restoredIds()).containsExactly(1);
	}

	@Test
	void transactionBegunBeforeTheFenceIsRolledBackAtCommit() throws Exception {
		AtomicBoolean cutOff = new AtomicBoolean();
		TestInstance holder = instance("holder", cutOff, new AtomicBoolean());
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		try (Connection connection = holder.dataSource.getConnection()) {
			connection.setAutoCommit(false);
			try (Statement statement = connection.createStatement()) {
				statement.execute("INSERT INTO notes VALUES (1, 'begun while owner')");
			}
			cutOff.set(true);
			await().atMost(Duration.ofSeconds(10)).until(() -> !holder.database.getOwnership().mayAcknowledgeWrites());
			assertThatExceptionOfType(DatabaseReadOnlyException.class).isThrownBy(connection::commit);
			// A read-only transaction still commits
			try (Statement statement = connection.createStatement();
					ResultSet rs = statement.executeQuery("SELECT count(*) FROM notes")) {
				assertThat(rs.next()).isTrue();
				assertThat(rs.getInt(1)).isZero();
			}
			connection.commit();
		}
		assertThat(holder.ids()).isEmpty();
	}

	@Test
	void autoCommitWriteOnAConnectionBorrowedBeforeTheFenceIsRefused() throws Exception {
		AtomicBoolean cutOff = new AtomicBoolean();
		TestInstance holder = instance("holder", cutOff, new AtomicBoolean());
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		try (Connection connection = holder.dataSource.getConnection();
				Statement statement = connection.createStatement()) {
			statement.execute("INSERT INTO notes VALUES (1, 'while owner')");
			cutOff.set(true);
			await().atMost(Duration.ofSeconds(10)).until(() -> !holder.database.getOwnership().mayAcknowledgeWrites());
			// Each statement in auto-commit mode commits on its own: it is checked then.
			assertThatExceptionOfType(DatabaseReadOnlyException.class)
				.isThrownBy(() -> statement.execute("INSERT INTO notes VALUES (2, 'after the fence')"));
			try (ResultSet rs = statement.executeQuery("SELECT count(*) FROM notes")) {
				assertThat(rs.next()).isTrue();
				assertThat(rs.getInt(1)).isEqualTo(1);
			}
		}
		assertThat(holder.ids()).containsExactly(1);
	}

	@Test
	void inPlaceRestoreKeepsTheLeaseForItsWholeDuration() throws Exception {
		TestInstance holder = instance("holder", new AtomicBoolean(), new AtomicBoolean());
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		holder.execute("INSERT INTO notes VALUES (1, 'kept')");
		long kept = holder.database.sync().txid();
		holder.execute("INSERT INTO notes VALUES (2, 'rolled back')");
		assertThat(holder.database.sync().replicated()).isTrue();
		FileReplicaClient replica = new FileReplicaClient(this.dir.resolve("replica"));
		Set<String> leasesSeen = ConcurrentHashMap.newKeySet();
		AtomicBoolean watching = new AtomicBoolean(true);
		Thread watcher = new Thread(() -> {
			while (watching.get()) {
				try {
					LeaseObject lease = replica.readLease();
					if (lease != null) {
						String json = new String(lease.content(), java.nio.charset.StandardCharsets.UTF_8);
						leasesSeen.add(json.replaceAll(".*\"generation\":(\\d+).*", "$1")
								+ (json.contains("0001-01-01") ? " released" : ""));
					}
				}
				catch (IOException | RuntimeException ex) {
					// the file is replaced atomically; a read may race a rename
				}
			}
		});
		watcher.start();
		try {
			holder.database.restoreInPlace(RestoreTarget.txid(kept));
		}
		finally {
			watching.set(false);
			watcher.join();
		}
		assertThat(leasesSeen).hasSize(1).noneMatch((seen) -> seen.endsWith("released"));
		assertThat(holder.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		assertThat(holder.ids()).containsExactly(1);
		holder.execute("INSERT INTO notes VALUES (3, 'after the restore')");
		holder.close();
		assertThat(restoredIds()).containsExactlyInAnyOrder(1, 3);
	}

	@Test
	void inPlaceRestoreOfTheNewestStateKeepsTransactionsNotYetUploaded() throws Exception {
		CountDownLatch uploadsHeld = new CountDownLatch(1);
		AtomicBoolean holding = new AtomicBoolean();
		ReplicaClient replica = new ForwardingReplicaClient(new FileReplicaClient(this.dir.resolve("replica"))) {

			@Override
			public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
					throws IOException {
				if (holding.get()) {
					try {
						uploadsHeld.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						throw new IOException(ex);
					}
				}
				return super.createFile(level, minTxid, maxTxid, timestamp, data);
			}

		};
		TestInstance holder = TestInstance.create(this.dir, "holder", replica, new LeaseConfig(true,
				Duration.ofMillis(1500), Duration.ofMillis(300), LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30)));
		this.open.add(holder);
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		holder.execute("INSERT INTO notes VALUES (1, 'uploaded')");
		assertThat(holder.database.sync().replicated()).isTrue();
		// Acknowledged, not yet on the replica when the operator asks for the newest
		// state
		holding.set(true);
		holder.execute("INSERT INTO notes VALUES (2, 'acknowledged, upload in flight')");
		CompletableFuture<RestoreResult> restore = CompletableFuture.supplyAsync(() -> {
			try {
				return holder.database.restoreInPlace(RestoreTarget.latest());
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		await().atMost(Duration.ofSeconds(10))
			.until(() -> holder.database.getOwnership().state() == OwnershipState.RESTORING);
		holding.set(false);
		uploadsHeld.countDown();
		restore.get();
		assertThat(holder.ids()).containsExactlyInAnyOrder(1, 2);
	}

	@Test
	void replicaThisDatabaseDoesNotProvablyContinueIsRefusedWhateverTheTxids() throws Exception {
		TestInstance a = instance("a", new AtomicBoolean(), new AtomicBoolean());
		a.start();
		a.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		a.execute("INSERT INTO notes VALUES (1, 'the replica history')");
		a.close();
		// Another database with a longer history of its own (higher TXIDs), pointed at
		// the same replica afterwards
		TestInstance b = instance("b", new AtomicBoolean(), new AtomicBoolean(), "elsewhere");
		b.start();
		b.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		for (int id = 100; id < 120; id++) {
			b.execute("INSERT INTO notes VALUES (" + id + ", 'another history')");
		}
		assertThat(b.database.sync().replicated()).isTrue();
		b.close();
		FileReplicaClient shared = new FileReplicaClient(this.dir.resolve("replica"));
		List<String> before = files(shared);
		TestInstance again = instance("b", new AtomicBoolean(), new AtomicBoolean());
		again.start();
		await().atMost(Duration.ofSeconds(10))
			.until(() -> "REFUSED".equals(again.database.status().replicas().get(0).attachment()));
		again.execute("INSERT INTO notes VALUES (120, 'not pushed over the replica history')");
		again.database.notifyCommit();
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> files(shared).equals(before));
		assertThat(again.database.status().replicas().get(0).lastError())
			.contains("neither history replaces the other");
		again.close();
		assertThat(restoredIds()).containsExactly(1);
	}

	@Test
	void successorIsNeverOlderThanTheReleasedFinalTxidEvenWhenItsSurveySkippedTheReplica() throws Exception {
		TestInstance a = instance("a", new AtomicBoolean(), new AtomicBoolean());
		a.start();
		a.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		a.execute("INSERT INTO notes VALUES (1, 'on the old volume')");
		a.close();
		// A snapshot of the volume (database and meta directory) from this moment
		copyDirectory(this.dir.resolve("a"), this.dir.resolve("b"));
		TestInstance again = instance("a", new AtomicBoolean(), new AtomicBoolean());
		again.start();
		again.execute("INSERT INTO notes VALUES (2, 'acknowledged after the snapshot')");
		again.close();
		// The old volume starts while listing the replica fails: the survey skips it
		TestInstance stale = instance("b", new AtomicBoolean(), new AtomicBoolean(), "replica", true);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(stale::start)
			.withMessageContaining("released the lease at TXID");
		assertThat(stale.database.isRunning()).isFalse();
	}

	private static void copyDirectory(Path from, Path to) throws IOException {
		try (var paths = Files.walk(from)) {
			for (Path path : (Iterable<Path>) paths::iterator) {
				Path target = to.resolve(from.relativize(path).toString());
				if (Files.isDirectory(path)) {
					Files.createDirectories(target);
				}
				else {
					Files.copy(path, target);
				}
			}
		}
	}

	private static List<String> files(ReplicaClient replica) throws IOException {
		List<String> names = new ArrayList<>();
		for (int level = 0; level <= 9; level++) {
			for (var file : replica.listFiles(level, 0)) {
				names.add(level + "/" + file.fileName());
			}
		}
		return names;
	}

	private Set<Integer> restoredIds() throws Exception {
		return TestInstance.restoredIds(this.dir.resolve("replica"), this.dir.resolve("restored.db"));
	}

	private TestInstance instance(String name, AtomicBoolean cutOff, AtomicBoolean leaseReadsFail) throws Exception {
		return instance(name, cutOff, leaseReadsFail, "replica");
	}

	private TestInstance instance(String name, AtomicBoolean cutOff, AtomicBoolean leaseReadsFail, String replica)
			throws Exception {
		return instance(name, cutOff, leaseReadsFail, replica, false);
	}

	private TestInstance instance(String name, AtomicBoolean cutOff, AtomicBoolean leaseReadsFail, String replica,
			boolean listingFails) throws Exception {
		ReplicaClient client = new LeaseReadsFailing(
				new UnreachableReplicaClient(new FileReplicaClient(this.dir.resolve(replica)), cutOff), leaseReadsFail);
		if (listingFails) {
			client = new ForwardingReplicaClient(client) {

				@Override
				public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
					throw new ReplicaException("Injected: listing failed", true, null);
				}

			};
		}
		TestInstance instance = TestInstance.create(this.dir, name, client, new LeaseConfig(true,
				Duration.ofMillis(1500), Duration.ofMillis(300), LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30)));
		this.open.add(instance);
		return instance;
	}

	/**
	 * A replica whose lease object cannot be read while the switch is set (a 500 from the
	 * store after the SDK's retries), while every other request works.
	 */
	private static final class LeaseReadsFailing extends ForwardingReplicaClient {

		private final AtomicBoolean failing;

		LeaseReadsFailing(ReplicaClient delegate, AtomicBoolean failing) {
			super(delegate);
			this.failing = failing;
		}

		@Override
		public @Nullable LeaseObject readLease() throws IOException {
			if (this.failing.get()) {
				throw new ReplicaException("Injected: reading the lease failed with 500", true, null);
			}
			return super.readLease();
		}

	}

}
