package io.github.litestream.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.github.litestream.ltx.LtxFileName;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The contract every {@link ReplicaClient} fulfils, run against each backend by a
 * subclass that says how to create a client on an empty replica location.
 */
public abstract class ReplicaClientContractTests {

	/**
	 * A header timestamp with sub-millisecond digits, which replicas drop.
	 */
	protected static final Instant TIMESTAMP = Instant.parse("2026-01-02T03:04:05.678912345Z");

	private static final Instant TIMESTAMP_MILLIS = Instant.parse("2026-01-02T03:04:05.678Z");

	private static final long WAIT_SECONDS = 10;

	/**
	 * The client under test, on an empty replica.
	 */
	protected ReplicaClient client;

	/**
	 * Creates a client on an empty replica location; called before each test.
	 * @return the client
	 * @throws Exception if the client cannot be created
	 */
	protected abstract ReplicaClient createClient() throws Exception;

	/**
	 * Lists every object the backend holds in raw storage for this replica, whatever its
	 * name (including temporary or unfinished objects), as paths relative to the replica
	 * location with {@code /} separators. Tests that need it are skipped when a backend
	 * cannot tell.
	 * @return the names, or {@code null} when the backend cannot inspect its storage
	 * @throws Exception if the storage cannot be inspected
	 */
	protected @Nullable List<String> rawObjectNames() throws Exception {
		return null;
	}

	/**
	 * Creates a client on another replica location of the same backend, named
	 * {@code name}; two calls with the same name give two clients (as two processes would
	 * have) on the same location. Tests that need it are skipped when a backend returns
	 * {@code null}.
	 * @param name a short name, unique per location within a test
	 * @return the client, or {@code null}
	 * @throws Exception if the client cannot be created
	 */
	protected @Nullable ReplicaClient createClientAt(String name) throws Exception {
		return null;
	}

	/**
	 * Whether the backend replaces the lease object atomically when several writers name
	 * the same version at once. Every store the engine supports in production does (AWS
	 * S3, a file replica); some test servers only check the version and then write.
	 * @return {@code true} unless the backend says otherwise
	 */
	protected boolean replacesLeaseAtomically() {
		return true;
	}

	/**
	 * Whether the backend creates an object atomically when several writers create it at
	 * once (If-None-Match on S3): one wins, the others fail. Every store the engine
	 * supports in production does; some test servers only check and then write.
	 * @return {@code true} unless the backend says otherwise
	 */
	protected boolean createsAtomically() {
		return true;
	}

	@BeforeEach
	void createClientOnEmptyReplica() throws Exception {
		this.client = createClient();
	}

	@AfterEach
	void closeClient() throws IOException {
		if (this.client != null) {
			this.client.close();
		}
	}

	@Test
	void typeAndLocationAreNotBlank() {
		assertThat(this.client.type()).isNotBlank();
		assertThat(this.client.location()).isNotBlank().startsWith(this.client.type());
	}

	@Test
	void emptyReplicaListsNothingAtEveryLevel() throws IOException {
		for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
			assertThat(this.client.listFiles(level)).isEmpty();
			assertThat(this.client.listFiles(level, 5)).isEmpty();
		}
	}

	@Test
	void writtenFileIsListedAndReadsBackTheSameBytes() throws IOException {
		byte[] content = bytes(10_000, 1);
		LtxFileInfo written = this.client.writeFile(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(content));
		LtxFileInfo expected = new LtxFileInfo(0, 1, 1, content.length, TIMESTAMP_MILLIS);
		assertThat(written).isEqualTo(expected);
		assertThat(this.client.listFiles(0)).containsExactly(expected);
		assertThat(read(0, 1, 1)).isEqualTo(content);
	}

	@Test
	void emptyFileRoundTrips() throws IOException {
		LtxFileInfo written = this.client.writeFile(0, 3, 4, TIMESTAMP, InputStream.nullInputStream());
		assertThat(written.size()).isZero();
		assertThat(this.client.listFiles(0)).containsExactly(written);
		assertThat(read(0, 3, 4)).isEmpty();
	}

	@Test
	void listingIsOrderedByMinTxidThenMaxTxid() throws IOException {
		// Ranges crossing hex digit boundaries, where a numeric and a naive order could
		// differ, and several files sharing a minTxid
		long[][] ranges = { { 1, 1 }, { 1, 9 }, { 1, 0xa }, { 1, 0x10 }, { 2, 2 }, { 9, 9 }, { 0xa, 0xa }, { 0xa, 0xf },
				{ 0xf, 0xf }, { 0x10, 0x10 }, { 0x10, 0xff }, { 0xff, 0x100 }, { 0x100, 0x100 }, { 0xfff, 0x1000 },
				{ 0x1_0000_0000L, 0x1_0000_0000L }, { 0x1_0000_0000L, 0x1_0000_0001L } };
		List<LtxFileInfo> expected = new ArrayList<>();
		for (long[] range : ranges) {
			expected.add(new LtxFileInfo(1, range[0], range[1], 1, TIMESTAMP_MILLIS));
		}
		List<LtxFileInfo> shuffled = new ArrayList<>(expected);
		Collections.shuffle(shuffled, new Random(42));
		for (LtxFileInfo file : shuffled) {
			write(file.level(), file.minTxid(), file.maxTxid(), new byte[1]);
		}
		List<LtxFileInfo> listed = this.client.listFiles(1);
		assertThat(listed).containsExactlyElementsOf(expected);
		assertThat(listed).extracting(LtxFileInfo::fileName).isSorted();
	}

	@Test
	void listingSkipsFilesBelowMinTxidAtLeast() throws IOException {
		LtxFileInfo first = write(0, 1, 1, new byte[1]);
		LtxFileInfo second = write(0, 2, 5, new byte[2]);
		LtxFileInfo third = write(0, 6, 6, new byte[3]);
		LtxFileInfo fourth = write(0, 7, 10, new byte[4]);
		assertThat(this.client.listFiles(0)).containsExactly(first, second, third, fourth);
		assertThat(this.client.listFiles(0, 0)).containsExactly(first, second, third, fourth);
		assertThat(this.client.listFiles(0, 2)).containsExactly(second, third, fourth);
		// A file whose range merely contains the value starts below it, so it is skipped
		assertThat(this.client.listFiles(0, 3)).containsExactly(third, fourth);
		assertThat(this.client.listFiles(0, 6)).containsExactly(third, fourth);
		assertThat(this.client.listFiles(0, 10)).isEmpty();
	}

	@Test
	void levelsAreIndependent() throws IOException {
		write(0, 1, 1, bytes(100, 0));
		write(1, 1, 1, bytes(101, 1));
		write(LtxFileInfo.SNAPSHOT_LEVEL, 1, 1, bytes(109, 9));
		write(1, 2, 3, bytes(10, 2));
		assertThat(this.client.listFiles(0)).extracting(LtxFileInfo::size).containsExactly(100L);
		assertThat(this.client.listFiles(1)).extracting(LtxFileInfo::size).containsExactly(101L, 10L);
		assertThat(this.client.listFiles(9)).extracting(LtxFileInfo::size).containsExactly(109L);
		assertThat(this.client.listFiles(2)).isEmpty();
		assertThat(read(0, 1, 1)).isEqualTo(bytes(100, 0));
		assertThat(read(1, 1, 1)).isEqualTo(bytes(101, 1));
		assertThat(read(9, 1, 1)).isEqualTo(bytes(109, 9));
		this.client.deleteFiles(this.client.listFiles(1));
		assertThat(this.client.listFiles(1)).isEmpty();
		assertThat(this.client.listFiles(0)).hasSize(1);
		assertThat(this.client.listFiles(9)).hasSize(1);
	}

	@Test
	void createdAtRoundTripsTheTimestampToTheMillisecond() throws IOException {
		Instant[] timestamps = { TIMESTAMP, Instant.parse("2001-09-09T01:46:40Z"),
				Instant.parse("2099-12-31T23:59:59.999999Z"), Instant.parse("2026-06-01T00:00:00.001Z") };
		for (int i = 0; i < timestamps.length; i++) {
			LtxFileInfo written = this.client.writeFile(0, i + 1, i + 1, timestamps[i],
					new ByteArrayInputStream(new byte[1]));
			assertThat(written.createdAt()).isEqualTo(timestamps[i].truncatedTo(ChronoUnit.MILLIS));
		}
		assertThat(this.client.listFiles(0)).extracting(LtxFileInfo::createdAt)
			.containsExactly(TIMESTAMP_MILLIS, Instant.parse("2001-09-09T01:46:40Z"),
					Instant.parse("2099-12-31T23:59:59.999Z"), Instant.parse("2026-06-01T00:00:00.001Z"));
	}

	@Test
	void writingAnExistingFileReplacesIt() throws IOException {
		write(0, 1, 2, bytes(500, 1));
		Instant later = TIMESTAMP.plusSeconds(60);
		LtxFileInfo replaced = this.client.writeFile(0, 1, 2, later, new ByteArrayInputStream(bytes(300, 2)));
		assertThat(this.client.listFiles(0)).containsExactly(replaced);
		assertThat(replaced.size()).isEqualTo(300);
		assertThat(replaced.createdAt()).isEqualTo(later.truncatedTo(ChronoUnit.MILLIS));
		assertThat(read(0, 1, 2)).isEqualTo(bytes(300, 2));
	}

	@Test
	void openingAMissingFileThrowsNoSuchFileExceptionNamingIt() throws IOException {
		String name = LtxFileName.format(7, 8);
		assertThatExceptionOfType(NoSuchFileException.class).isThrownBy(() -> this.client.openFile(3, 7, 8))
			.withMessageContaining(name);
		write(3, 1, 6, new byte[1]);
		write(3, 9, 9, new byte[1]);
		assertThatExceptionOfType(NoSuchFileException.class).isThrownBy(() -> this.client.openFile(3, 7, 8))
			.withMessageContaining(name);
	}

	@Test
	void downloadCopiesTheFile(@TempDir Path directory) throws IOException {
		byte[] content = bytes(100_000, 4);
		write(1, 2, 3, content);
		write(1, 4, 4, new byte[0]);
		Path target = directory.resolve("file.ltx");
		// A longer file already there must not leave its tail behind
		Files.write(target, bytes(200_000, 9));
		this.client.download(1, 2, 3, target);
		assertThat(target).hasBinaryContent(content);
		Path empty = directory.resolve("empty.ltx");
		this.client.download(1, 4, 4, empty);
		assertThat(empty).isEmptyFile();
	}

	@Test
	void downloadingAMissingFileThrowsNoSuchFileExceptionAndLeavesNoTarget(@TempDir Path directory) {
		Path target = directory.resolve("missing.ltx");
		assertThatExceptionOfType(NoSuchFileException.class).isThrownBy(() -> this.client.download(3, 7, 8, target))
			.withMessageContaining(LtxFileName.format(7, 8));
		assertThat(target).doesNotExist();
	}

	@Test
	void deleteFilesRemovesOnlyTheGivenFilesAndIgnoresMissingOnes() throws IOException {
		LtxFileInfo first = write(0, 1, 1, new byte[1]);
		LtxFileInfo second = write(0, 2, 2, new byte[1]);
		LtxFileInfo third = write(0, 3, 3, new byte[1]);
		LtxFileInfo neverWritten = new LtxFileInfo(0, 4, 4, 1, TIMESTAMP_MILLIS);
		LtxFileInfo otherLevel = new LtxFileInfo(2, 2, 2, 1, TIMESTAMP_MILLIS);
		this.client.deleteFiles(List.of(second, neverWritten, otherLevel));
		assertThat(this.client.listFiles(0)).containsExactly(first, third);
		this.client.deleteFiles(List.of(second));
		this.client.deleteFiles(List.of());
		assertThat(this.client.listFiles(0)).containsExactly(first, third);
		assertThatExceptionOfType(NoSuchFileException.class).isThrownBy(() -> this.client.openFile(0, 2, 2));
	}

	@Test
	void deleteAllRemovesEveryFileAndTheReplicaStaysUsable() throws Exception {
		this.client.deleteAll();
		write(0, 1, 1, new byte[1]);
		write(0, 2, 2, new byte[1]);
		write(1, 1, 2, new byte[1]);
		write(LtxFileInfo.SNAPSHOT_LEVEL, 1, 2, new byte[1]);
		this.client.deleteAll();
		for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
			assertThat(this.client.listFiles(level)).isEmpty();
		}
		List<String> raw = rawObjectNames();
		if (raw != null) {
			assertThat(raw).isEmpty();
		}
		write(0, 3, 3, new byte[1]);
		assertThat(this.client.listFiles(0)).extracting(LtxFileInfo::minTxid).containsExactly(3L);
	}

	@Test
	void largeFileIsStreamedAndReadsBackTheSameBytes() throws Exception {
		long size = 20L * 1024 * 1024 + 123;
		GeneratedInputStream generated = new GeneratedInputStream(size, 7);
		MessageDigest written = sha256();
		LtxFileInfo info = this.client.writeFile(9, 1, 0x1234, TIMESTAMP, new DigestInputStream(generated, written));
		assertThat(info.size()).isEqualTo(size);
		assertThat(this.client.listFiles(9)).containsExactly(info);
		MessageDigest read = sha256();
		try (InputStream in = new DigestInputStream(this.client.openFile(9, 1, 0x1234), read)) {
			assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(size);
		}
		byte[] digest = written.digest();
		assertThat(read.digest()).isEqualTo(digest);
		Path target = Files.createTempFile("litestream-download", ".ltx");
		try {
			this.client.download(9, 1, 0x1234, target);
			MessageDigest downloaded = sha256();
			try (InputStream in = new DigestInputStream(Files.newInputStream(target), downloaded)) {
				assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(size);
			}
			assertThat(downloaded.digest()).isEqualTo(digest);
		}
		finally {
			Files.deleteIfExists(target);
		}
	}

	@Test
	void txidsWithHighBitsAreNamedAndListedCorrectly() throws IOException {
		long high = 0x7fff_ffff_ffff_fff0L;
		LtxFileInfo low = write(0, 1, high - 1, new byte[1]);
		LtxFileInfo first = write(0, high, high, new byte[2]);
		LtxFileInfo last = write(0, high + 1, Long.MAX_VALUE, new byte[3]);
		assertThat(first.fileName()).isEqualTo("7ffffffffffffff0-7ffffffffffffff0.ltx");
		assertThat(last.fileName()).isEqualTo("7ffffffffffffff1-7fffffffffffffff.ltx");
		assertThat(this.client.listFiles(0)).containsExactly(low, first, last);
		assertThat(this.client.listFiles(0, high + 1)).containsExactly(last);
		assertThat(read(0, high + 1, Long.MAX_VALUE)).hasSize(3);
	}

	@Test
	void txidsAboveLongMaxValueOrderAsUnsigned() throws IOException {
		// TXIDs are uint64 in Litestream: past 2^63 they are negative as a long but must
		// still sort after every smaller TXID, as their names do
		LtxFileInfo below = write(0, Long.MAX_VALUE, Long.MAX_VALUE, new byte[1]);
		LtxFileInfo above = write(0, Long.MIN_VALUE, -2L, new byte[1]);
		LtxFileInfo top = write(0, -1L, -1L, new byte[1]);
		assertThat(top.fileName()).isEqualTo("ffffffffffffffff-ffffffffffffffff.ltx");
		assertThat(this.client.listFiles(0)).containsExactly(below, above, top);
		assertThat(this.client.listFiles(0, Long.MIN_VALUE)).containsExactly(above, top);
	}

	@Test
	void concurrentWritersOfDifferentFilesAllSucceed() throws Exception {
		int threads = 8;
		int filesPerThread = 10;
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				int thread = t;
				futures.add(executor.submit(() -> {
					start.await(WAIT_SECONDS, TimeUnit.SECONDS);
					for (int i = 0; i < filesPerThread; i++) {
						long txid = thread * filesPerThread + i + 1;
						// Two levels, so that level directories are also created
						// concurrently
						write((int) (txid % 2), txid, txid, bytes(1000 + (int) txid, (int) txid));
					}
					return null;
				}));
			}
			start.countDown();
			for (Future<?> future : futures) {
				future.get(WAIT_SECONDS * 3, TimeUnit.SECONDS);
			}
		}
		finally {
			executor.shutdownNow();
		}
		List<LtxFileInfo> files = new ArrayList<>(this.client.listFiles(0));
		files.addAll(this.client.listFiles(1));
		assertThat(files).hasSize(threads * filesPerThread);
		for (LtxFileInfo file : files) {
			int txid = (int) file.minTxid();
			assertThat(file.level()).isEqualTo(txid % 2);
			assertThat(read(file.level(), txid, txid)).isEqualTo(bytes(1000 + txid, txid));
		}
	}

	@Test
	void readersNeverSeeAPartialFile() throws Exception {
		int chunks = 8;
		int chunkSize = 64 * 1024;
		SteppedInputStream slow = new SteppedInputStream(chunks, chunkSize);
		ExecutorService writer = Executors.newSingleThreadExecutor();
		try {
			Future<LtxFileInfo> written = writer.submit(() -> this.client.writeFile(0, 5, 6, TIMESTAMP, slow));
			for (int chunk = 0; chunk < chunks; chunk++) {
				slow.serveNext();
				// Every earlier chunk is in the replica's hands by now, yet nothing shows
				assertThat(this.client.listFiles(0)).isEmpty();
				assertThatExceptionOfType(NoSuchFileException.class).isThrownBy(() -> this.client.openFile(0, 5, 6));
			}
			slow.serveNext();
			LtxFileInfo info = written.get(WAIT_SECONDS, TimeUnit.SECONDS);
			assertThat(info.size()).isEqualTo((long) chunks * chunkSize);
			assertThat(this.client.listFiles(0)).containsExactly(info);
			assertThat(read(0, 5, 6)).isEqualTo(SteppedInputStream.content(chunks, chunkSize));
		}
		finally {
			writer.shutdownNow();
		}
	}

	@Test
	void readersSeeThePreviousFileUntilAReplacementIsComplete() throws Exception {
		byte[] previous = bytes(1000, 3);
		LtxFileInfo old = write(0, 5, 6, previous);
		int chunks = 4;
		int chunkSize = 32 * 1024;
		SteppedInputStream slow = new SteppedInputStream(chunks, chunkSize);
		ExecutorService writer = Executors.newSingleThreadExecutor();
		try {
			Future<LtxFileInfo> written = writer
				.submit(() -> this.client.writeFile(0, 5, 6, TIMESTAMP.plusSeconds(1), slow));
			for (int chunk = 0; chunk < chunks; chunk++) {
				slow.serveNext();
				assertThat(this.client.listFiles(0)).containsExactly(old);
				assertThat(read(0, 5, 6)).isEqualTo(previous);
			}
			slow.serveNext();
			LtxFileInfo replaced = written.get(WAIT_SECONDS, TimeUnit.SECONDS);
			assertThat(this.client.listFiles(0)).containsExactly(replaced);
			assertThat(read(0, 5, 6)).isEqualTo(SteppedInputStream.content(chunks, chunkSize));
		}
		finally {
			writer.shutdownNow();
		}
	}

	@Test
	void failingInputStreamPropagatesAndLeavesNoFile() throws Exception {
		IOException boom = new IOException("source failed");
		InputStream failing = new GeneratedInputStream(200_000, 1) {

			@Override
			public int read(byte[] buffer, int offset, int length) throws IOException {
				if (position() > 100_000) {
					throw boom;
				}
				return super.read(buffer, offset, length);
			}

		};
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> this.client.writeFile(0, 1, 1, TIMESTAMP, failing))
			.satisfies((ex) -> assertThat(causalChain(ex)).contains(boom));
		assertThat(this.client.listFiles(0)).isEmpty();
		List<String> raw = rawObjectNames();
		if (raw != null) {
			assertThat(raw).isEmpty();
		}
	}

	@Test
	void successfulWritesLeaveNoOtherObjectsBehind() throws Exception {
		write(0, 1, 1, bytes(10, 1));
		write(0, 1, 1, bytes(20, 2));
		write(LtxFileInfo.SNAPSHOT_LEVEL, 1, 1, bytes(10, 1));
		List<String> raw = rawObjectNames();
		assumeThat(raw).as("backend can inspect its raw storage").isNotNull();
		assertThat(raw).hasSize(2).allSatisfy((name) -> assertThat(name).endsWith(LtxFileName.format(1, 1)));
	}

	@Test
	void invalidArgumentsAreRejectedBeforeAnyIo() {
		InputStream data = new ByteArrayInputStream(new byte[1]);
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.listFiles(-1));
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.listFiles(10, 0));
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.openFile(10, 1, 1));
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.openFile(0, 2, 1));
		Path target = Path.of("never-written.ltx");
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.download(10, 1, 1, target));
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.download(0, 2, 1, target));
		assertThat(target).doesNotExist();
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.writeFile(0, 2, 1, TIMESTAMP, data));
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.writeFile(-1, 1, 1, TIMESTAMP, data));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.client.deleteFiles(List.of(new LtxFileInfo(10, 1, 1, 0, TIMESTAMP))));
	}

	// ---------------------------------------------------------------- conditional writes

	@Test
	void createFileWritesAFileThatDoesNotExist() throws IOException {
		byte[] content = bytes(5_000, 7);
		LtxFileInfo created = this.client.createFile(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(content));
		assertThat(created).isEqualTo(new LtxFileInfo(0, 1, 1, content.length, TIMESTAMP_MILLIS));
		assertThat(this.client.listFiles(0)).containsExactly(created);
		assertThat(read(0, 1, 1)).isEqualTo(content);
	}

	@Test
	void createFileNeverReplacesAnExistingFileAndNamesIt() throws IOException {
		byte[] first = bytes(5_000, 1);
		write(0, 1, 2, first);
		assertThatExceptionOfType(FileAlreadyExistsException.class)
			.isThrownBy(() -> this.client.createFile(0, 1, 2, TIMESTAMP, new ByteArrayInputStream(bytes(6_000, 2))))
			.withMessageContaining(LtxFileName.format(1, 2));
		assertThat(read(0, 1, 2)).isEqualTo(first);
		assertThat(this.client.listFiles(0)).singleElement()
			.satisfies((file) -> assertThat(file.size()).isEqualTo(5_000));
	}

	@Test
	void createFileOfAnotherRangeOrLevelIsNotAConflict() throws IOException {
		write(0, 1, 2, bytes(100, 1));
		this.client.createFile(0, 1, 3, TIMESTAMP, new ByteArrayInputStream(bytes(100, 2)));
		this.client.createFile(1, 1, 2, TIMESTAMP, new ByteArrayInputStream(bytes(100, 3)));
		assertThat(this.client.listFiles(0)).hasSize(2);
		assertThat(this.client.listFiles(1)).hasSize(1);
	}

	@Test
	void createFileOnceCreatesAndNeverReplacesAsCreateFileDoes() throws IOException {
		byte[] content = bytes(5_000, 4);
		LtxFileInfo created = this.client.createFileOnce(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(content));
		assertThat(created).isEqualTo(new LtxFileInfo(0, 1, 1, content.length, TIMESTAMP_MILLIS));
		assertThatExceptionOfType(FileAlreadyExistsException.class)
			.isThrownBy(() -> this.client.createFileOnce(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(bytes(6_000, 5))))
			.withMessageContaining(LtxFileName.format(1, 1));
		assertThat(read(0, 1, 1)).isEqualTo(content);
	}

	@Test
	void replicaWithoutLeaseReadsNoLease() throws IOException {
		assertThat(this.client.readLease()).isNull();
	}

	@Test
	void createdLeaseReadsBackWithTheReturnedVersion() throws IOException {
		byte[] content = "{\"generation\":1}".getBytes(StandardCharsets.UTF_8);
		String version = this.client.createLease(content);
		LeaseObject lease = this.client.readLease();
		assertThat(lease).isNotNull();
		assertThat(lease.content()).isEqualTo(content);
		assertThat(lease.version()).isEqualTo(version);
	}

	@Test
	void createLeaseFailsWhenALeaseExistsAndKeepsIt() throws IOException {
		byte[] content = "{\"generation\":1}".getBytes(StandardCharsets.UTF_8);
		this.client.createLease(content);
		assertThatExceptionOfType(LeaseConflictException.class)
			.isThrownBy(() -> this.client.createLease("{\"generation\":2}".getBytes(StandardCharsets.UTF_8)));
		assertThat(this.client.readLease().content()).isEqualTo(content);
	}

	@Test
	void replaceLeaseSucceedsOnlyWithTheCurrentVersion() throws IOException {
		String first = this.client.createLease("{\"generation\":1}".getBytes(StandardCharsets.UTF_8));
		byte[] second = "{\"generation\":1,\"expires_at\":\"x\"}".getBytes(StandardCharsets.UTF_8);
		String secondVersion = this.client.replaceLease(second, first);
		assertThat(secondVersion).isNotEqualTo(first);
		assertThatExceptionOfType(LeaseConflictException.class)
			.isThrownBy(() -> this.client.replaceLease("{\"generation\":9}".getBytes(StandardCharsets.UTF_8), first));
		LeaseObject lease = this.client.readLease();
		assertThat(lease.content()).isEqualTo(second);
		assertThat(lease.version()).isEqualTo(secondVersion);
	}

	@Test
	void replaceLeaseFailsWhenThereIsNoLease() {
		assertThatExceptionOfType(LeaseConflictException.class)
			.isThrownBy(() -> this.client.replaceLease("{}".getBytes(StandardCharsets.UTF_8), "\"0123\""));
	}

	@Test
	void leaseObjectIsNeverListedAndSurvivesDeleteAll() throws IOException {
		this.client.createLease("{\"generation\":1}".getBytes(StandardCharsets.UTF_8));
		write(0, 1, 1, bytes(10, 1));
		for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
			assertThat(this.client.listFiles(level)).allSatisfy((file) -> assertThat(file.level()).isZero());
		}
		this.client.deleteAll();
		assertThat(this.client.readLease()).isNotNull();
		assertThat(this.client.leaseLocation()).startsWith(this.client.location()).endsWith("lock.json");
	}

	@Test
	void fiftyRacesOfTwoContendersForAFreshLeaseHaveExactlyOneWinnerEachTime() throws Exception {
		assumeThat(createsAtomically()).as("backend creates conditionally and atomically").isTrue();
		assumeThat(createClientAt("probe")).as("backend offers other locations").isNotNull();
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			for (int race = 0; race < 50; race++) {
				ReplicaClient[] contenders = { createClientAt("race-" + race), createClientAt("race-" + race) };
				CountDownLatch start = new CountDownLatch(1);
				List<Future<Boolean>> outcomes = new ArrayList<>();
				for (int i = 0; i < 2; i++) {
					ReplicaClient contender = contenders[i];
					byte[] content = ("{\"owner\":\"contender-" + i + "\"}").getBytes(StandardCharsets.UTF_8);
					outcomes.add(executor.submit(() -> {
						start.await();
						try {
							contender.createLease(content);
							return true;
						}
						catch (LeaseConflictException ex) {
							return false;
						}
					}));
				}
				start.countDown();
				boolean first = outcomes.get(0).get(WAIT_SECONDS, TimeUnit.SECONDS);
				boolean second = outcomes.get(1).get(WAIT_SECONDS, TimeUnit.SECONDS);
				assertThat(first ^ second).as("exactly one of two contenders wins race %d", race).isTrue();
				String winner = "contender-" + (first ? 0 : 1);
				assertThat(new String(contenders[0].readLease().content(), StandardCharsets.UTF_8)).contains(winner);
				for (ReplicaClient contender : contenders) {
					contender.close();
				}
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void fiftyRacesOfTwoContendersTakingOverOneVersionHaveExactlyOneWinnerEachTime() throws Exception {
		assumeThat(replacesLeaseAtomically()).as("backend replaces the lease atomically").isTrue();
		ReplicaClient other = createClientAt("takeover");
		assumeThat(other).as("backend offers other locations").isNotNull();
		ReplicaClient mine = createClientAt("takeover");
		String version = mine.createLease("{\"generation\":0}".getBytes(StandardCharsets.UTF_8));
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			for (int race = 0; race < 50; race++) {
				String expected = version;
				CountDownLatch start = new CountDownLatch(1);
				List<Future<String>> outcomes = new ArrayList<>();
				ReplicaClient[] contenders = { mine, other };
				for (int i = 0; i < 2; i++) {
					ReplicaClient contender = contenders[i];
					byte[] content = ("{\"generation\":" + (race + 1) + ",\"owner\":\"contender-" + i + "\"}")
						.getBytes(StandardCharsets.UTF_8);
					outcomes.add(executor.submit(() -> {
						start.await();
						try {
							return contender.replaceLease(content, expected);
						}
						catch (LeaseConflictException ex) {
							return null;
						}
					}));
				}
				start.countDown();
				String first = outcomes.get(0).get(WAIT_SECONDS, TimeUnit.SECONDS);
				String second = outcomes.get(1).get(WAIT_SECONDS, TimeUnit.SECONDS);
				assertThat(first == null ^ second == null).as("exactly one of two contenders wins race %d", race)
					.isTrue();
				version = (first != null) ? first : second;
				assertThat(mine.readLease().version()).isEqualTo(version);
			}
		}
		finally {
			executor.shutdownNow();
			mine.close();
			other.close();
		}
	}

	@Test
	void fiftyRacesOfTwoContendersCreatingOneFileHaveExactlyOneWinnerEachTime() throws Exception {
		assumeThat(createsAtomically()).as("backend creates conditionally and atomically").isTrue();
		ReplicaClient other = createClientAt("files");
		assumeThat(other).as("backend offers other locations").isNotNull();
		ReplicaClient mine = createClientAt("files");
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			for (int race = 1; race <= 50; race++) {
				long txid = race;
				CountDownLatch start = new CountDownLatch(1);
				List<Future<Boolean>> outcomes = new ArrayList<>();
				ReplicaClient[] contenders = { mine, other };
				for (int i = 0; i < 2; i++) {
					ReplicaClient contender = contenders[i];
					byte[] content = bytes(2_000, i);
					outcomes.add(executor.submit(() -> {
						start.await();
						try {
							contender.createFile(0, txid, txid, TIMESTAMP, new ByteArrayInputStream(content));
							return true;
						}
						catch (FileAlreadyExistsException ex) {
							return false;
						}
					}));
				}
				start.countDown();
				boolean first = outcomes.get(0).get(WAIT_SECONDS, TimeUnit.SECONDS);
				boolean second = outcomes.get(1).get(WAIT_SECONDS, TimeUnit.SECONDS);
				assertThat(first ^ second).as("exactly one of two writers creates file %d", race).isTrue();
				byte[] stored;
				try (InputStream in = mine.openFile(0, txid, txid)) {
					stored = in.readAllBytes();
				}
				assertThat(stored).isEqualTo(bytes(2_000, first ? 0 : 1));
			}
		}
		finally {
			executor.shutdownNow();
			mine.close();
			other.close();
		}
	}

	/**
	 * Writes a file with {@link #TIMESTAMP}.
	 * @param level the level
	 * @param minTxid the first TXID
	 * @param maxTxid the last TXID
	 * @param content the bytes
	 * @return the written file
	 * @throws IOException if writing fails
	 */
	protected LtxFileInfo write(int level, long minTxid, long maxTxid, byte[] content) throws IOException {
		return this.client.writeFile(level, minTxid, maxTxid, TIMESTAMP, new ByteArrayInputStream(content));
	}

	/**
	 * Reads a whole file.
	 * @param level the level
	 * @param minTxid the first TXID
	 * @param maxTxid the last TXID
	 * @return its bytes
	 * @throws IOException if reading fails
	 */
	protected byte[] read(int level, long minTxid, long maxTxid) throws IOException {
		try (InputStream in = this.client.openFile(level, minTxid, maxTxid)) {
			return in.readAllBytes();
		}
	}

	/**
	 * Returns deterministic bytes.
	 * @param length how many
	 * @param seed which sequence
	 * @return the bytes
	 */
	protected static byte[] bytes(int length, int seed) {
		byte[] bytes = new byte[length];
		new SplittableRandom(seed).nextBytes(bytes);
		return bytes;
	}

	private static MessageDigest sha256() throws NoSuchAlgorithmException {
		return MessageDigest.getInstance("SHA-256");
	}

	private static List<Throwable> causalChain(Throwable ex) {
		List<Throwable> chain = new ArrayList<>();
		for (Throwable t = ex; t != null && !chain.contains(t); t = t.getCause()) {
			chain.add(t);
		}
		return chain;
	}

	/**
	 * A stream of pseudo-random bytes made on the fly, so a large file never sits in
	 * memory.
	 */
	static class GeneratedInputStream extends InputStream {

		private final long size;

		private final SplittableRandom random;

		private long position;

		GeneratedInputStream(long size, long seed) {
			this.size = size;
			this.random = new SplittableRandom(seed);
		}

		long position() {
			return this.position;
		}

		@Override
		public int read() throws IOException {
			byte[] one = new byte[1];
			return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xff);
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			if (this.position >= this.size) {
				return -1;
			}
			int count = (int) Math.min(length, Math.min(this.size - this.position, 8192));
			for (int i = 0; i < count; i++) {
				buffer[offset + i] = (byte) this.random.nextInt(256);
			}
			this.position += count;
			return count;
		}

	}

	/**
	 * A stream that hands out one chunk each time the test allows it, and tells the test
	 * when it has done so: the writer is then blocked inside the stream, with every
	 * earlier chunk already passed to the replica.
	 */
	private static final class SteppedInputStream extends InputStream {

		private final int chunks;

		private final int chunkSize;

		private final Semaphore allowed = new Semaphore(0);

		private final Semaphore served = new Semaphore(0);

		private int servedChunks;

		private int offsetInChunk;

		SteppedInputStream(int chunks, int chunkSize) {
			this.chunks = chunks;
			this.chunkSize = chunkSize;
		}

		static byte[] content(int chunks, int chunkSize) {
			byte[] content = new byte[chunks * chunkSize];
			for (int i = 0; i < content.length; i++) {
				content[i] = (byte) (i / chunkSize + 1);
			}
			return content;
		}

		/**
		 * Lets the writer read the next chunk (or the end of the stream) and waits until
		 * it has.
		 */
		void serveNext() throws InterruptedException {
			this.allowed.release();
			assertThat(this.served.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)).as("writer read the next chunk")
				.isTrue();
		}

		@Override
		public int read() throws IOException {
			byte[] one = new byte[1];
			return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xff);
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			if (length == 0) {
				return 0;
			}
			if (this.offsetInChunk == 0) {
				awaitPermission();
				if (this.servedChunks == this.chunks) {
					this.served.release();
					return -1;
				}
			}
			int count = Math.min(length, this.chunkSize - this.offsetInChunk);
			Arrays.fill(buffer, offset, offset + count, (byte) (this.servedChunks + 1));
			this.offsetInChunk += count;
			if (this.offsetInChunk == this.chunkSize) {
				this.offsetInChunk = 0;
				this.servedChunks++;
				this.served.release();
			}
			return count;
		}

		private void awaitPermission() throws IOException {
			try {
				if (!this.allowed.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
					throw new IOException("Test did not allow the next chunk in time");
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new InterruptedIOException("Interrupted while waiting for the next chunk");
			}
		}

	}

}
