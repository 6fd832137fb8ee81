package io.github.litestream.storage.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaClientContractTests;
import io.github.litestream.storage.ReplicaException;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Runs the {@link ReplicaClient} contract against {@link S3ReplicaClient} on two real S3
 * implementations (S3Proxy and moto), plus what is particular to Litestream's S3 layout:
 * keys, timestamp metadata, multipart uploads, batching and request counting.
 */
@ParameterizedClass(name = "[{0}]")
@EnumSource(S3ServerExtension.Implementation.class)
class S3ReplicaClientTests extends ReplicaClientContractTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	@Parameter
	S3ServerExtension.Implementation implementation;

	@BeforeParameterizedClassInvocation
	static void selectServer(S3ServerExtension.Implementation implementation) {
		s3.use(implementation);
	}

	private static final String PREFIX = "app-db";

	private static final int PART_SIZE = S3ReplicaClient.MIN_PART_SIZE;

	private final List<S3RequestEvent> events = new CopyOnWriteArrayList<>();

	private String bucket;

	@Override
	protected ReplicaClient createClient() {
		// A bucket per test keeps tests independent on the shared server
		this.bucket = s3.server().createBucket("contract");
		return builder().build();
	}

	/**
	 * S3Proxy's filesystem store checks {@code If-Match} and then writes, without a lock
	 * (its {@code Quirks.NATIVE_IF_NONE_MATCH} covers {@code If-None-Match} only), so two
	 * writers naming one ETag can both succeed there; AWS S3 and MinIO compare and swap.
	 * moto does neither atomically (below).
	 */
	@Override
	protected boolean replacesLeaseAtomically() {
		return !s3.server().describe().startsWith("S3Proxy") && !isMoto();
	}

	/**
	 * moto's threaded server checks {@code If-Match} and {@code If-None-Match} in
	 * {@code put_object} and then writes, without a lock (moto 5.2.5,
	 * {@code s3/responses.py}): two racing writers can both succeed, which a full run
	 * beside another build hit in race 27 of 50.
	 */
	@Override
	protected boolean createsAtomically() {
		return !isMoto();
	}

	private static boolean isMoto() {
		return s3.server().describe().startsWith("moto");
	}

	@Override
	protected ReplicaClient createClientAt(String name) {
		return S3ReplicaClient.builder(raw(), this.bucket).prefix("other/" + name).partSize(PART_SIZE).build();
	}

	private S3ReplicaClient.Builder builder() {
		return S3ReplicaClient.builder(raw(), this.bucket)
			.prefix(PREFIX)
			.partSize(PART_SIZE)
			.requestListener(this.events::add);
	}

	private static S3Client raw() {
		return s3.server().client();
	}

	private S3ReplicaClient s3Client() {
		return (S3ReplicaClient) this.client;
	}

	@Override
	protected List<String> rawObjectNames() {
		List<String> names = new ArrayList<>();
		for (S3Object object : raw().listObjectsV2Paginator((request) -> request.bucket(this.bucket)).contents()) {
			names.add(relative(object.key()));
		}
		for (MultipartUpload upload : raw().listMultipartUploads((request) -> request.bucket(this.bucket)).uploads()) {
			names.add(relative(upload.key()) + " (unfinished multipart upload)");
		}
		return names;
	}

	private static String relative(String key) {
		return key.startsWith(PREFIX + "/") ? key.substring(PREFIX.length() + 1) : key;
	}

	private long count(S3Operation operation, String apiName) {
		return this.events.stream()
			.filter((event) -> event.operation() == operation && event.apiName().equals(apiName))
			.count();
	}

	private long bytes(S3Operation operation) {
		return this.events.stream()
			.filter((event) -> event.operation() == operation)
			.mapToLong(S3RequestEvent::bytes)
			.sum();
	}

	private HeadObjectResponse head(String key) {
		return raw().headObject((request) -> request.bucket(this.bucket).key(key));
	}

	@Test
	void typeLocationAndToStringNameTheBucketAndEndpoint() {
		assertThat(this.client.type()).isEqualTo("s3");
		assertThat(this.client.location()).isEqualTo("s3://" + this.bucket + "/app-db");
		assertThat(s3Client().endpoint()).isEqualTo(s3.server().endpoint().toString());
		assertThat(this.client)
			.hasToString("S3ReplicaClient[s3://" + this.bucket + "/app-db, endpoint " + s3.server().endpoint() + "]");
		assertThat(this.client.toString()).doesNotContain(s3.server().secretKey());
	}

	@Test
	void filesAreLaidOutAsLitestreamLaysThemOutOnS3() throws IOException {
		write(0, 1, 1, bytes(10, 1));
		write(1, 1, 0xff, bytes(10, 1));
		write(9, 1, 0xabc, bytes(10, 1));
		assertThat(rawObjectNames()).containsExactly("0000/0000000000000001-0000000000000001.ltx",
				"0001/0000000000000001-00000000000000ff.ltx", "0009/0000000000000001-0000000000000abc.ltx");
		assertThat(s3Client().key(9, 1, 0xabc)).isEqualTo("app-db/0009/0000000000000001-0000000000000abc.ltx");
	}

	@Test
	void timestampMetadataIsRfc3339UtcWithoutTrailingZerosAsLitestreamWritesIt() throws IOException {
		Map<Instant, String> expected = Map.of(Instant.parse("2023-11-14T22:13:21.234Z"), "2023-11-14T22:13:21.234Z",
				Instant.parse("2023-11-14T22:13:21.200Z"), "2023-11-14T22:13:21.2Z",
				Instant.parse("2023-11-14T22:13:21Z"), "2023-11-14T22:13:21Z",
				// The header holds milliseconds: finer digits are dropped, not rounded
				Instant.parse("2023-11-14T22:13:21.0209999Z"), "2023-11-14T22:13:21.02Z");
		long txid = 1;
		for (Map.Entry<Instant, String> entry : expected.entrySet()) {
			this.client.writeFile(0, txid, txid, entry.getKey(), new ByteArrayInputStream(new byte[1]));
			assertThat(head(s3Client().key(0, txid, txid)).metadata())
				.containsExactly(Map.entry("litestream-timestamp", entry.getValue()));
			txid++;
		}
	}

	@Test
	void prefixSlashesAreDroppedAndNestedPrefixesWork() throws IOException {
		S3ReplicaClient nested = S3ReplicaClient.builder(raw(), this.bucket).prefix("/team/app-db/").build();
		assertThat(nested.prefix()).isEqualTo("team/app-db");
		assertThat(nested.location()).isEqualTo("s3://" + this.bucket + "/team/app-db");
		nested.writeFile(2, 3, 4, TIMESTAMP, new ByteArrayInputStream(new byte[3]));
		assertThat(head("team/app-db/0002/0000000000000003-0000000000000004.ltx").contentLength()).isEqualTo(3);
		assertThat(nested.listFiles(2)).extracting(LtxFileInfo::fileName).containsExactly(LtxFileName.format(3, 4));
		// A sibling prefix that merely starts with the same characters is another replica
		assertThat(S3ReplicaClient.builder(raw(), this.bucket).prefix("team/app").build().listFiles(2)).isEmpty();
	}

	@Test
	void emptyPrefixGivesKeysWithALeadingSlashAsLitestream() {
		S3ReplicaClient root = S3ReplicaClient.builder(raw(), this.bucket).prefix("").build();
		assertThat(root.location()).isEqualTo("s3://" + this.bucket);
		assertThat(root.key(0, 1, 2)).isEqualTo("/0000/0000000000000001-0000000000000002.ltx");
		assertThat(S3ReplicaClient.builder(raw(), this.bucket).prefix("/").build().key(9, 1, 1))
			.isEqualTo("/0009/0000000000000001-0000000000000001.ltx");
	}

	@Test
	void prefixesThatHttpClientsWouldRewriteAreRejected() {
		S3ReplicaClient.Builder builder = S3ReplicaClient.builder(raw(), "bucket");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.prefix("a//b")).withMessageContaining("'a//b'");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.prefix("."));
		assertThatIllegalArgumentException().isThrownBy(() -> builder.prefix("a/../b"));
		assertThatIllegalArgumentException().isThrownBy(() -> S3ReplicaClient.builder(raw(), "a/b"));
		assertThatIllegalArgumentException().isThrownBy(() -> S3ReplicaClient.builder(raw(), " "));
		assertThatIllegalArgumentException().isThrownBy(() -> builder.partSize(S3ReplicaClient.MIN_PART_SIZE - 1))
			.withMessageContaining(Integer.toString(S3ReplicaClient.MIN_PART_SIZE));
		assertThatIllegalArgumentException().isThrownBy(() -> builder.metadataConcurrency(0));
	}

	@Test
	void smallFilesAreOnePutAndListingOneList() throws IOException {
		write(0, 1, 1, bytes(1000, 1));
		assertThat(this.client.listFiles(0)).hasSize(1);
		assertThat(this.events).extracting(S3RequestEvent::apiName).containsExactly("PutObject", "ListObjectsV2");
		assertThat(this.events).allSatisfy((event) -> assertThat(event.statusCode()).isEqualTo(200));
		assertThat(bytes(S3Operation.PUT)).isEqualTo(1000);
	}

	@Test
	void fileOfExactlyOnePartIsOnePut() throws IOException {
		write(9, 1, 1, bytes(PART_SIZE, 3));
		assertThat(count(S3Operation.PUT, "PutObject")).isOne();
		assertThat(count(S3Operation.PUT, "CreateMultipartUpload")).isZero();
		assertThat(read(9, 1, 1)).isEqualTo(bytes(PART_SIZE, 3));
	}

	@Test
	void largeFileIsAMultipartUploadWithTheMetadataAndBoundedParts() throws Exception {
		long size = 2L * PART_SIZE + 12345;
		MessageDigest written = MessageDigest.getInstance("SHA-256");
		LtxFileInfo info = this.client.writeFile(9, 1, 0x99, TIMESTAMP,
				new DigestInputStream(GeneratedStream.of(size, 5), written));
		assertThat(info.size()).isEqualTo(size);
		assertThat(this.events).extracting(S3RequestEvent::apiName)
			.containsExactly("CreateMultipartUpload", "UploadPart", "UploadPart", "UploadPart",
					"CompleteMultipartUpload");
		assertThat(this.events).filteredOn((event) -> event.apiName().equals("UploadPart"))
			.extracting(S3RequestEvent::bytes)
			.containsExactlyInAnyOrder((long) PART_SIZE, (long) PART_SIZE, 12345L);
		HeadObjectResponse head = head(s3Client().key(9, 1, 0x99));
		assertThat(head.contentLength()).isEqualTo(size);
		assertThat(head.metadata()).containsEntry("litestream-timestamp", "2026-01-02T03:04:05.678Z");
		MessageDigest read = MessageDigest.getInstance("SHA-256");
		try (InputStream in = new DigestInputStream(this.client.openFile(9, 1, 0x99), read)) {
			assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(size);
		}
		assertThat(read.digest()).isEqualTo(written.digest());
		assertThat(rawObjectNames()).containsExactly("0009/0000000000000001-0000000000000099.ltx");
	}

	@Test
	void streamFailingDuringAMultipartUploadAbortsItAndLeavesNothing() throws IOException {
		IOException boom = new IOException("source failed");
		InputStream failing = GeneratedStream.failingAfter(3L * PART_SIZE, 1, PART_SIZE + 1000, boom);
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> this.client.writeFile(9, 1, 1, TIMESTAMP, failing))
			.isSameAs(boom);
		assertThat(count(S3Operation.PUT, "UploadPart")).isOne();
		assertThat(count(S3Operation.DELETE, "AbortMultipartUpload")).isOne();
		assertThat(rawObjectNames()).isEmpty();
	}

	@Test
	void freshClientReadsExactTimestampsFromMetadataOncePerFile() throws IOException {
		List<LtxFileInfo> written = new ArrayList<>();
		for (int i = 1; i <= 5; i++) {
			written
				.add(this.client.writeFile(1, i, i, TIMESTAMP.plusSeconds(i), new ByteArrayInputStream(new byte[i])));
		}
		List<S3RequestEvent> fresh = new CopyOnWriteArrayList<>();
		try (S3ReplicaClient other = S3ReplicaClient.builder(raw(), this.bucket)
			.prefix(PREFIX)
			.requestListener(fresh::add)
			.build()) {
			assertThat(other.listFiles(1)).containsExactlyElementsOf(written);
			assertThat(fresh).extracting(S3RequestEvent::apiName)
				.containsExactlyInAnyOrder("ListObjectsV2", "HeadObject", "HeadObject", "HeadObject", "HeadObject",
						"HeadObject");
			assertThat(fresh).filteredOn((event) -> event.apiName().equals("HeadObject"))
				.extracting(S3RequestEvent::operation)
				.containsOnly(S3Operation.GET);
			fresh.clear();
			assertThat(other.listFiles(1)).containsExactlyElementsOf(written);
			assertThat(other.listFiles(1, 3)).containsExactlyElementsOf(written.subList(2, 5));
			assertThat(fresh).extracting(S3RequestEvent::apiName).containsOnly("ListObjectsV2");
		}
	}

	@Test
	void writerNeedsNoHeadToListWhatItWrote() throws IOException {
		for (int i = 1; i <= 3; i++) {
			write(0, i, i, new byte[1]);
		}
		this.events.clear();
		assertThat(this.client.listFiles(0)).extracting(LtxFileInfo::createdAt)
			.containsOnly(TIMESTAMP.truncatedTo(ChronoUnit.MILLIS));
		assertThat(this.events).extracting(S3RequestEvent::apiName).containsExactly("ListObjectsV2");
	}

	@Test
	void objectReplacedByAnotherWriterIsAskedAboutAgain() throws IOException {
		write(0, 1, 1, bytes(10, 1));
		assertThat(this.client.listFiles(0)).singleElement()
			.extracting(LtxFileInfo::createdAt)
			.isEqualTo(TIMESTAMP.truncatedTo(ChronoUnit.MILLIS));
		raw().putObject(
				(request) -> request.bucket(this.bucket)
					.key(s3Client().key(0, 1, 1))
					.metadata(Map.of("litestream-timestamp", "2030-05-06T07:08:09.1Z")),
				RequestBody.fromBytes(bytes(20, 2)));
		assertThat(this.client.listFiles(0))
			.containsExactly(new LtxFileInfo(0, 1, 1, 20, Instant.parse("2030-05-06T07:08:09.100Z")));
	}

	@Test
	void timestampsWrittenByLitestreamAreParsedAndMissingOnesFallBackToLastModified() throws IOException {
		putRaw(0, 1, 1, "2023-11-14T22:13:21.2Z");
		putRaw(0, 2, 2, "2023-11-14T22:13:21Z");
		putRaw(0, 3, 3, "2023-11-14T22:13:21.123456789Z");
		putRaw(0, 4, 4, "2023-11-14T23:13:21.5+01:00");
		putRaw(0, 5, 5, null);
		putRaw(0, 6, 6, "not a timestamp");
		Instant lastModified5 = head(s3Client().key(0, 5, 5)).lastModified();
		Instant lastModified6 = head(s3Client().key(0, 6, 6)).lastModified();
		assertThat(this.client.listFiles(0)).extracting(LtxFileInfo::createdAt)
			.containsExactly(Instant.parse("2023-11-14T22:13:21.200Z"), Instant.parse("2023-11-14T22:13:21Z"),
					Instant.parse("2023-11-14T22:13:21.123Z"), Instant.parse("2023-11-14T22:13:21.500Z"), lastModified5,
					lastModified6);
	}

	private void putRaw(int level, long min, long max, String timestamp) {
		raw().putObject((request) -> {
			request.bucket(this.bucket).key(s3Client().key(level, min, max));
			if (timestamp != null) {
				request.metadata(Map.of("litestream-timestamp", timestamp));
			}
		}, RequestBody.fromBytes(new byte[1]));
	}

	@Test
	void minTxidAtLeastIsSentAsStartAfterSoEarlierFilesAreNotListed() throws IOException {
		for (long txid = 1; txid <= 6; txid++) {
			write(0, txid, txid + 1, new byte[1]);
		}
		List<String> startAfter = new CopyOnWriteArrayList<>();
		ScriptedS3Client spying = new ScriptedS3Client(raw());
		spying.onList((request) -> startAfter.add(String.valueOf(request.startAfter())));
		S3ReplicaClient client = S3ReplicaClient.builder(spying, this.bucket).prefix(PREFIX).build();
		assertThat(client.listFiles(0, 4)).extracting(LtxFileInfo::minTxid).containsExactly(4L, 5L, 6L);
		assertThat(startAfter).containsExactly("app-db/0000/0000000000000003-ffffffffffffffff.ltx");
		startAfter.clear();
		assertThat(client.listFiles(0)).hasSize(6);
		assertThat(startAfter).containsExactly("null");
	}

	@Test
	void listingFollowsContinuationTokensAcrossPages() throws IOException {
		for (long txid = 1; txid <= 7; txid++) {
			write(3, txid, txid, new byte[1]);
		}
		this.events.clear();
		ScriptedS3Client paging = new ScriptedS3Client(raw()).pageSize(2);
		S3ReplicaClient client = S3ReplicaClient.builder(paging, this.bucket)
			.prefix(PREFIX)
			.requestListener(this.events::add)
			.build();
		assertThat(client.listFiles(3)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
		assertThat(client.listFiles(3, 4)).extracting(LtxFileInfo::minTxid).containsExactly(4L, 5L, 6L, 7L);
		assertThat(count(S3Operation.LIST, "ListObjectsV2")).isEqualTo(4 + 2);
	}

	@Test
	void deletesAreSentInBatchesOfAThousandKeys() throws IOException {
		LtxFileInfo kept = write(0, 5000, 5000, new byte[1]);
		LtxFileInfo deleted = write(0, 1, 1, new byte[1]);
		List<LtxFileInfo> files = new ArrayList<>();
		files.add(deleted);
		// Deleting files that do not exist succeeds, so batches need no real objects
		for (long txid = 2; txid <= 1001; txid++) {
			files.add(new LtxFileInfo(0, txid, txid, 1, TIMESTAMP));
		}
		files.add(deleted);
		this.events.clear();
		this.client.deleteFiles(files);
		assertThat(count(S3Operation.DELETE, "DeleteObjects")).isEqualTo(2);
		assertThat(this.client.listFiles(0)).containsExactly(kept);
	}

	@Test
	void deleteAllAbortsUnfinishedUploadsAndKeepsOtherObjects() throws IOException {
		write(0, 1, 1, new byte[1]);
		write(9, 1, 1, new byte[1]);
		String unfinished = s3Client().key(9, 1, 2);
		raw().createMultipartUpload((request) -> request.bucket(this.bucket).key(unfinished));
		raw().putObject((request) -> request.bucket(this.bucket).key("app-db/notes.txt"), RequestBody.fromString("x"));
		raw().putObject((request) -> request.bucket(this.bucket).key("app-db/0000/README"),
				RequestBody.fromString("x"));
		raw().putObject(
				(request) -> request.bucket(this.bucket).key("app-db2/0000/0000000000000001-0000000000000001.ltx"),
				RequestBody.fromString("x"));
		assertThat(rawObjectNames())
			.contains("0009/0000000000000001-0000000000000002.ltx (unfinished multipart upload)");
		this.client.deleteAll();
		assertThat(rawObjectNames()).containsExactlyInAnyOrder("0000/README", "notes.txt",
				"app-db2/0000/0000000000000001-0000000000000001.ltx");
	}

	@Test
	void missingFileIsNoSuchFileExceptionWithItsS3Uri() {
		assertThatExceptionOfType(NoSuchFileException.class).isThrownBy(() -> this.client.openFile(3, 7, 8))
			.withMessage("s3://" + this.bucket + "/app-db/0003/0000000000000007-0000000000000008.ltx");
		assertThat(this.events).singleElement().satisfies((event) -> {
			assertThat(event.operation()).isEqualTo(S3Operation.GET);
			assertThat(event.statusCode()).isEqualTo(404);
			assertThat(event.successful()).isFalse();
		});
	}

	@Test
	void closingAStreamEarlyDoesNotReadTheRestOfTheObject() throws IOException {
		write(9, 1, 1, bytes(3 * 1024 * 1024, 1));
		try (InputStream in = this.client.openFile(9, 1, 1)) {
			assertThat(in.readNBytes(10)).isEqualTo(Arrays.copyOf(bytes(3 * 1024 * 1024, 1), 10));
		}
		assertThat(this.events).filteredOn((event) -> event.operation() == S3Operation.GET)
			.singleElement()
			.extracting(S3RequestEvent::bytes)
			.isEqualTo(3L * 1024 * 1024);
	}

	@Test
	void requestsAndBytesAreCountedPerOperation() throws IOException {
		write(0, 1, 1, bytes(100, 1));
		write(9, 1, 1, bytes(PART_SIZE + 1, 2));
		this.client.listFiles(0);
		read(0, 1, 1);
		this.client.deleteFiles(this.client.listFiles(9));
		assertThat(count(S3Operation.PUT, "PutObject")).isOne();
		assertThat(count(S3Operation.PUT, "CreateMultipartUpload")).isOne();
		assertThat(count(S3Operation.PUT, "UploadPart")).isEqualTo(2);
		assertThat(count(S3Operation.PUT, "CompleteMultipartUpload")).isOne();
		assertThat(bytes(S3Operation.PUT)).isEqualTo(100 + PART_SIZE + 1);
		assertThat(count(S3Operation.LIST, "ListObjectsV2")).isEqualTo(2);
		assertThat(count(S3Operation.GET, "GetObject")).isOne();
		assertThat(bytes(S3Operation.GET)).isEqualTo(100);
		assertThat(count(S3Operation.DELETE, "DeleteObjects")).isOne();
		assertThat(this.events).allSatisfy((event) -> assertThat(event.successful()).isTrue());
	}

	@Test
	void failingListenerIsIgnored() throws IOException {
		S3ReplicaClient client = builder().requestListener((event) -> {
			throw new IllegalStateException("broken metrics");
		}).build();
		client.writeFile(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(new byte[1]));
		assertThat(client.listFiles(0)).hasSize(1);
	}

	@Test
	void closedClientStillListsAndLeavesTheS3ClientOpen() throws IOException {
		write(0, 1, 1, new byte[1]);
		write(0, 2, 2, new byte[1]);
		S3ReplicaClient other = S3ReplicaClient.builder(raw(), this.bucket).prefix(PREFIX).build();
		other.close();
		assertThat(other.listFiles(0)).hasSize(2);
		assertThat(raw().listBuckets().buckets()).isNotEmpty();
	}

	@Test
	void fullListingsForgetTimestampsOfFilesDeletedElsewhere() throws IOException {
		write(0, 1, 1, new byte[1]);
		write(0, 2, 2, new byte[1]);
		assertThat(s3Client().cachedTimestamps()).isEqualTo(2);
		raw().deleteObject((request) -> request.bucket(this.bucket).key(s3Client().key(0, 1, 1)));
		assertThat(this.client.listFiles(0)).hasSize(1);
		assertThat(s3Client().cachedTimestamps()).isOne();
		this.client.deleteFiles(this.client.listFiles(0));
		assertThat(s3Client().cachedTimestamps()).isZero();
	}

	@Test
	void fileOfSeveralPartsDownloadsIdenticallyWithParallelRangedGets(@TempDir Path directory) throws Exception {
		long size = 3L * PART_SIZE + 12345;
		byte[] digest = writeGenerated(9, 1, 0x42, size);
		for (int parallelism : new int[] { S3ReplicaClient.DEFAULT_DOWNLOAD_PARALLELISM, 1 }) {
			this.events.clear();
			Path target = directory.resolve("parallelism-" + parallelism + ".ltx");
			builder().downloadParallelism(parallelism).build().download(9, 1, 0x42, target);
			assertThat(sha256(target)).isEqualTo(digest);
			assertThat(this.events).extracting(S3RequestEvent::apiName).containsOnly("GetObject");
			assertThat(this.events).extracting(S3RequestEvent::bytes)
				.containsExactlyInAnyOrder((long) PART_SIZE, (long) PART_SIZE, (long) PART_SIZE, 12345L);
			assertThat(this.events).allSatisfy((event) -> assertThat(event.statusCode()).isEqualTo(206));
		}
		assertThat(downloadThreads()).isEmpty();
	}

	@Test
	void filesUpToOnePartAreDownloadedWithOneGet(@TempDir Path directory) throws IOException {
		write(0, 1, 1, bytes(1000, 1));
		write(9, 1, 1, bytes(PART_SIZE, 3));
		this.events.clear();
		this.client.download(0, 1, 1, directory.resolve("small.ltx"));
		this.client.download(9, 1, 1, directory.resolve("one-part.ltx"));
		assertThat(directory.resolve("small.ltx")).hasBinaryContent(bytes(1000, 1));
		assertThat(directory.resolve("one-part.ltx")).hasBinaryContent(bytes(PART_SIZE, 3));
		assertThat(this.events).extracting(S3RequestEvent::apiName).containsExactly("GetObject", "GetObject");
		assertThat(bytes(S3Operation.GET)).isEqualTo(1000 + PART_SIZE);
	}

	@Test
	void objectDeletedDuringADownloadIsNoSuchFileAndLeavesNoTarget(@TempDir Path directory) throws Exception {
		writeGenerated(9, 1, 1, 2L * PART_SIZE + 1);
		String key = s3Client().key(9, 1, 1);
		AtomicBoolean deleted = new AtomicBoolean();
		ScriptedS3Client deleting = new ScriptedS3Client(raw()).onGet((request) -> {
			// After the first range told the size, before the next one is asked for
			if (!request.range().startsWith("bytes=0-") && deleted.compareAndSet(false, true)) {
				raw().deleteObject((delete) -> delete.bucket(this.bucket).key(key));
			}
		});
		Path target = directory.resolve("deleted.ltx");
		S3ReplicaClient client = S3ReplicaClient.builder(deleting, this.bucket)
			.prefix(PREFIX)
			.partSize(PART_SIZE)
			.build();
		assertThatExceptionOfType(NoSuchFileException.class).isThrownBy(() -> client.download(9, 1, 1, target))
			.withMessage("s3://" + this.bucket + "/" + key);
		assertThat(target).doesNotExist();
		assertThat(downloadThreads()).isEmpty();
	}

	@Test
	void objectReplacedDuringADownloadIsARetryableFailureAndLeavesNoTarget(@TempDir Path directory) throws Exception {
		writeGenerated(9, 1, 1, 2L * PART_SIZE + 1);
		String key = s3Client().key(9, 1, 1);
		AtomicBoolean replaced = new AtomicBoolean();
		ScriptedS3Client replacing = new ScriptedS3Client(raw()).onGet((request) -> {
			if (!request.range().startsWith("bytes=0-") && replaced.compareAndSet(false, true)) {
				raw().putObject((put) -> put.bucket(this.bucket).key(key),
						RequestBody.fromBytes(bytes(3 * PART_SIZE, 8)));
			}
		});
		Path target = directory.resolve("replaced.ltx");
		S3ReplicaClient client = S3ReplicaClient.builder(replacing, this.bucket)
			.prefix(PREFIX)
			.partSize(PART_SIZE)
			.retryPolicy(S3RetryPolicy.none())
			.build();
		assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.download(9, 1, 1, target))
			.withMessageContaining("replaced during the download")
			.satisfies((ex) -> assertThat(ex.retryable()).isTrue());
		assertThat(target).doesNotExist();
	}

	@Test
	void serverErrorOnARangeIsRetryableAndLeavesNoTarget(@TempDir Path directory) throws Exception {
		writeGenerated(9, 1, 1, 4L * PART_SIZE);
		ScriptedS3Client failing = new ScriptedS3Client(raw()).onGet((request) -> {
			if (request.range().startsWith("bytes=" + 2L * PART_SIZE + "-")) {
				throw (S3Exception) S3Exception.builder().statusCode(503).message("Slow Down").build();
			}
		});
		List<S3RequestEvent> seen = new CopyOnWriteArrayList<>();
		Path target = directory.resolve("failed.ltx");
		S3ReplicaClient client = S3ReplicaClient.builder(failing, this.bucket)
			.prefix(PREFIX)
			.partSize(PART_SIZE)
			.retryPolicy(S3RetryPolicy.none())
			.requestListener(seen::add)
			.build();
		assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.download(9, 1, 1, target))
			.withMessageContaining("503")
			.satisfies((ex) -> assertThat(ex.retryable()).isTrue());
		assertThat(target).doesNotExist();
		assertThat(seen).anySatisfy((event) -> assertThat(event.statusCode()).isEqualTo(503));
		assertThat(downloadThreads()).isEmpty();
	}

	@Test
	void downloadParallelismMustBePositive() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> S3ReplicaClient.builder(raw(), "bucket").downloadParallelism(0))
			.withMessageContaining("0");
	}

	private byte[] writeGenerated(int level, long min, long max, long size) throws Exception {
		MessageDigest written = MessageDigest.getInstance("SHA-256");
		this.client.writeFile(level, min, max, TIMESTAMP,
				new DigestInputStream(GeneratedStream.of(size, max), written));
		return written.digest();
	}

	private static byte[] sha256(Path file) throws Exception {
		MessageDigest digest = MessageDigest.getInstance("SHA-256");
		try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
			in.transferTo(OutputStream.nullOutputStream());
		}
		return digest.digest();
	}

	private static List<String> downloadThreads() {
		// The download waits for its threads to end before returning, so none is left
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.map(Thread::getName)
			.filter((name) -> name.startsWith("litestream-s3-download-"))
			.toList();
	}

}
