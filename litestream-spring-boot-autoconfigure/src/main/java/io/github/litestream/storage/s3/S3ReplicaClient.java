package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A {@link ReplicaClient} that keeps LTX files in an S3 bucket (or any S3-compatible
 * store) through the AWS SDK v2 {@link S3Client}, exactly as Litestream v0.5's S3 replica
 * does, so that either tool restores the other's backups.
 *
 * <h2>Layout</h2> A file is the object
 * {@code <prefix>/<level as %04x>/<minTxid %016x>-<maxTxid %016x>.ltx}, for example
 * {@code app-db/0009/0000000000000001-0000000000000abc.ltx}, with the user metadata
 * {@code litestream-timestamp} ({@value #TIMESTAMP_METADATA_KEY}) holding the LTX header
 * timestamp in RFC 3339, UTC, trailing fractional zeros dropped
 * ({@code 2026-01-02T03:04:05.6Z}). Litestream builds the key as
 * {@code prefix + "/" + ...}, so an <b>empty prefix gives keys with a leading slash</b>
 * ({@code /0000/...}); this client does the same, so that both tools use the same keys
 * (Litestream then configured with the bucket and no path, or {@code s3://bucket/}).
 * Several S3-compatible stores (MinIO, S3Proxy) cannot hold such keys: give replicas a
 * prefix.
 *
 * <h2>Timestamps</h2> {@code ListObjectsV2} does not return user metadata, and an
 * object's {@code LastModified} is the upload time, not the header timestamp that
 * point-in-time restores compare. {@link #listFiles} therefore returns the exact
 * timestamp, at a bounded cost: timestamps of files this client wrote, or has already
 * asked about, are remembered per object version (ETag and last-modified time), and only
 * the others are fetched with {@code HeadObject}, in parallel on up to
 * {@link Builder#metadataConcurrency(int) metadataConcurrency} threads. A steady-state
 * replica therefore lists with no extra request, and a fresh client pays one
 * {@code HeadObject} per file once. Objects without the metadata (written before
 * Litestream v0.5.1 or by other tools) fall back to {@code LastModified}, as Litestream
 * does.
 *
 * <h2>Writes</h2> A file smaller than the {@link Builder#partSize(long) part size} is
 * written with one {@code PutObject}; a larger one (a snapshot of a large database, whose
 * length is not known in advance) is streamed as a multipart upload that sends up to
 * {@link Builder#uploadConcurrency(int) uploadConcurrency} parts at once, each held in
 * memory while it is sent, so memory stays bounded whatever the file size (at most 10,000
 * parts, so files up to 10,000 times the part size). S3 makes an object visible only when
 * the {@code PutObject} or {@code CompleteMultipartUpload} succeeds, so readers never see
 * a partial file; a failed multipart upload is aborted (and {@link #deleteAll()} aborts
 * any left by a crash).
 *
 * <h2>Conditional writes</h2> {@link #createFile} never replaces an object
 * ({@code If-None-Match: *}), and the lease object {@code <prefix>/lock.json} (the key of
 * Litestream's leaser) is created with {@code If-None-Match: *} and replaced with
 * {@code If-Match: <ETag>}, so that of several writers exactly one succeeds. AWS S3 and
 * S3Proxy honour both headers; a store that ignores them gives no such guarantee.
 *
 * <h2>Downloads</h2> {@link #download} asks for the first part-size byte range of the
 * object, so a file no larger than one part (most files) costs one {@code GetObject}, as
 * {@link #openFile} does. The answer tells the object's size; the remaining parts of a
 * larger file are fetched as byte ranges on up to {@link Builder#downloadParallelism(int)
 * downloadParallelism} connections at once and written at their offsets in the target
 * file, with one copy buffer per connection. The ranges are asked for with the ETag of
 * the first answer ({@code If-Match}), so an object replaced meanwhile fails the download
 * instead of mixing two versions.
 *
 * <h2>Encryption and storage class</h2> Every write carries the
 * {@link Builder#encryption(S3Encryption) server-side encryption} headers (SSE-KMS or
 * SSE-C) and the {@link Builder#storageClass(String) storage class}; with SSE-C every
 * part and every read ({@code GetObject}, ranged or not, and {@code HeadObject}) carries
 * the key too, as S3 needs it for each.
 *
 * <h2>Failures</h2> Every request is retried according to the {@link S3RetryPolicy} when
 * the failure may be transient (throttling such as 429, 503 or {@code SlowDown}, other
 * 5xx, timeouts, connection resets); these end, when attempts run out, as a retryable
 * {@link ReplicaException}. Failures that retrying cannot fix ({@code NoSuchBucket},
 * {@code AccessDenied}, {@code InvalidAccessKeyId}, {@code SignatureDoesNotMatch}, a
 * wrong region) are not retried and end as a non-retryable {@link ReplicaException}.
 * Messages name the bucket, the endpoint and the cause, and what to do; they never
 * contain credentials. Retries that the {@link S3Client} makes internally (its own retry
 * strategy) come on top, inside each attempt. {@link #createFileOnce} is the exception:
 * the {@link S3Client}'s retries are turned off for its {@code PutObject}, and an attempt
 * that failed after being held for {@link #HELD_ATTEMPT} or longer is not repeated; its
 * failure goes to the caller.
 *
 * <h2>Observability</h2> Every request, including every retry attempt, is reported to the
 * {@link S3RequestListener} with its {@link S3Operation} and payload bytes.
 * <p>
 * The {@link S3Client} is shared, not owned: {@link #close()} leaves it open and only
 * stops this client's metadata threads.
 */
public final class S3ReplicaClient implements ReplicaClient {

	/**
	 * The value of {@link #type()}.
	 */
	public static final String TYPE = "s3";

	/**
	 * The user metadata key holding the LTX header timestamp, as Litestream writes it
	 * (sent as the {@code x-amz-meta-litestream-timestamp} header).
	 */
	public static final String TIMESTAMP_METADATA_KEY = "litestream-timestamp";

	/**
	 * The default part size of multipart uploads: 8 MiB.
	 */
	public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;

	/**
	 * The smallest part size S3 accepts for every part but the last: 5 MiB.
	 */
	public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

	/**
	 * The largest part size this client accepts: 1 GiB (a part is held in one array).
	 */
	public static final int MAX_PART_SIZE = 1024 * 1024 * 1024;

	/**
	 * The most parts S3 accepts in one multipart upload.
	 */
	public static final int MAX_PARTS = 10_000;

	/**
	 * The most keys S3 deletes in one {@code DeleteObjects} request.
	 */
	public static final int MAX_KEYS_PER_DELETE = 1000;

	/**
	 * The default number of threads fetching timestamps with {@code HeadObject}; the same
	 * as the default restore parallelism.
	 */
	public static final int DEFAULT_METADATA_CONCURRENCY = 8;

	/**
	 * The default number of byte ranges of one file that {@link #download} fetches at
	 * once.
	 */
	public static final int DEFAULT_DOWNLOAD_PARALLELISM = 4;

	/**
	 * The default number of parts of one multipart upload sent at once, each held in
	 * memory while it is sent.
	 */
	public static final int DEFAULT_UPLOAD_CONCURRENCY = 2;

	/**
	 * How long a failed attempt of {@link #createFileOnce} must have waited to count as
	 * held by an outage, and not be repeated: failures answered sooner (a refused, reset
	 * or stale connection, a throttling answer) are retried as usual.
	 */
	public static final Duration HELD_ATTEMPT = Duration.ofSeconds(1);

	private final S3Requests requests;

	private final int partSize;

	private final int uploadConcurrency;

	private final TimestampCache timestamps = new TimestampCache();

	private final S3Listing listing;

	private final S3RangedDownload download;

	private final S3MultipartUpload multipart;

	private final S3Writes writes;

	private S3ReplicaClient(Builder builder) {
		this.requests = new S3Requests(builder.s3, builder.bucket, builder.prefix, builder.retryPolicy,
				builder.listener, builder.encryption);
		this.partSize = builder.partSize;
		this.uploadConcurrency = builder.uploadConcurrency;
		this.listing = new S3Listing(this.requests, this.timestamps, builder.metadataConcurrency);
		this.download = new S3RangedDownload(this.requests, builder.partSize, builder.downloadParallelism);
		this.multipart = new S3MultipartUpload(this.requests, builder.storageClass, builder.partSize,
				builder.uploadConcurrency);
		this.writes = new S3Writes(this.requests, this.multipart, this.timestamps, builder.storageClass,
				builder.partSize);
	}

	/**
	 * Starts building a client for a bucket, with no prefix, the
	 * {@link #DEFAULT_PART_SIZE default part size}, the {@link S3RetryPolicy#DEFAULT
	 * default retry policy} and no request listener.
	 * @param s3 the SDK client, configured with credentials, region and endpoint; shared,
	 * never closed by this client
	 * @param bucket the bucket name
	 * @return the builder
	 */
	public static Builder builder(S3Client s3, String bucket) {
		return new Builder(s3, bucket);
	}

	/**
	 * Returns the bucket.
	 * @return the bucket name
	 */
	public String bucket() {
		return this.requests.bucket();
	}

	/**
	 * Returns the key prefix, without leading or trailing slash.
	 * @return the prefix, possibly empty
	 */
	public String prefix() {
		return this.requests.prefix();
	}

	/**
	 * Returns the part size of multipart uploads.
	 * @return the part size in bytes
	 */
	public int partSize() {
		return this.partSize;
	}

	/**
	 * Returns how many parts of one multipart upload are sent at once.
	 * @return the upload concurrency
	 */
	public int uploadConcurrency() {
		return this.uploadConcurrency;
	}

	/**
	 * Returns the server-side encryption of the objects this client writes.
	 * @return the encryption, {@link S3Encryption#NONE} for the bucket's default
	 */
	public S3Encryption encryption() {
		return this.requests.encryption();
	}

	/**
	 * Returns the endpoint this client talks to, as shown in messages.
	 * @return for example {@code "http://127.0.0.1:9000"} or
	 * {@code "AWS S3 (region eu-west-1)"}
	 */
	public String endpoint() {
		return this.requests.endpoint();
	}

	/**
	 * Returns the object key of one file, {@code <prefix>/<level %04x>/<min>-<max>.ltx}.
	 * @param level the level
	 * @param minTxid the first transaction ID
	 * @param maxTxid the last transaction ID
	 * @return the key; it starts with {@code /} when the prefix is empty, as in
	 * Litestream
	 */
	public String key(int level, long minTxid, long maxTxid) {
		return this.requests.key(level, minTxid, maxTxid);
	}

	/**
	 * Returns how many object timestamps this client remembers.
	 * @return the number of cached timestamps
	 */
	int cachedTimestamps() {
		return this.timestamps.size();
	}

	/**
	 * Returns {@value #TYPE}.
	 * @return the backend type
	 */
	@Override
	public String type() {
		return TYPE;
	}

	/**
	 * Returns {@code s3://<bucket>/<prefix>}, or {@code s3://<bucket>} with an empty
	 * prefix.
	 * @return the location
	 */
	@Override
	public String location() {
		return this.requests.location();
	}

	@Override
	public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
		return this.listing.listFiles(level, minTxidAtLeast);
	}

	@Override
	public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
		return this.download.openFile(key(level, minTxid, maxTxid), "open LTX file");
	}

	/**
	 * Downloads one file to {@code target}: with one {@code GetObject} when it is no
	 * larger than the part size, otherwise in part-size byte ranges fetched on up to
	 * {@link Builder#downloadParallelism(int) downloadParallelism} connections at once.
	 * Every ranged request is reported to the listener with its bytes.
	 * @throws NoSuchFileException if the object does not exist, or was deleted during the
	 * download
	 * @throws ReplicaException if the object cannot be read, was replaced during the
	 * download (retryable), or did not have the length S3 announced (retryable)
	 */
	@Override
	public void download(int level, long minTxid, long maxTxid, Path target) throws IOException {
		String key = key(level, minTxid, maxTxid);
		Objects.requireNonNull(target, "target");
		try {
			try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE,
					StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
				this.download.downloadInto(key, channel);
			}
		}
		catch (IOException | RuntimeException | Error ex) {
			// Deleting must work even when the failure was an interrupt
			try {
				Files.deleteIfExists(target);
			}
			catch (IOException cleanup) {
				ex.addSuppressed(cleanup);
			}
			throw ex;
		}
	}

	@Override
	public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		return this.writes.write(level, minTxid, maxTxid, timestamp, data, false, false);
	}

	/**
	 * Creates the file only if no object of that key exists: {@code PutObject} with
	 * {@code If-None-Match: *}, or for a multipart upload a {@code HeadObject} before it
	 * starts (so no parts are sent in vain) and {@code If-None-Match: *} on
	 * {@code CompleteMultipartUpload}. S3 answers {@code 412 Precondition Failed} when
	 * the key exists, atomically. A retried request whose first attempt stored the object
	 * also meets it: the caller compares the bytes.
	 */
	@Override
	public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		return this.writes.write(level, minTxid, maxTxid, timestamp, data, true, false);
	}

	/**
	 * Creates the file as {@link #createFile} does, but a {@code PutObject} held by an
	 * outage is not repeated: the {@link S3Client}'s retry strategy is off for it, and
	 * this client's {@link S3RetryPolicy} repeats only attempts that failed within
	 * {@link #HELD_ATTEMPT}. A file larger than the part size still goes up as a
	 * multipart upload whose parts are retried, as they do not create the file.
	 */
	@Override
	public LtxFileInfo createFileOnce(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		return this.writes.write(level, minTxid, maxTxid, timestamp, data, true, true);
	}

	// ---------------------------------------------------------------- lease

	/**
	 * Returns the key of the lease object: {@code <prefix>/lock.json}, or
	 * {@code lock.json} with an empty prefix, as Litestream's leaser builds it.
	 * @return the key
	 */
	public String leaseKey() {
		return this.requests.leaseKey();
	}

	@Override
	public String leaseLocation() {
		return this.requests.objectUri(leaseKey());
	}

	@Override
	public @Nullable LeaseObject readLease() throws IOException {
		return this.writes.readLease();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		return this.writes.putLease(content, null);
	}

	@Override
	public String replaceLease(byte[] content, String expectedVersion) throws IOException {
		Objects.requireNonNull(expectedVersion, "expectedVersion");
		return this.writes.putLease(content, expectedVersion);
	}

	@Override
	public void deleteFiles(Collection<LtxFileInfo> files) throws IOException {
		this.listing.deleteFiles(files);
	}

	/**
	 * Deletes every LTX file of this replica, in every level, and aborts unfinished
	 * multipart uploads of LTX files that a crashed writer left behind. Other objects
	 * under the prefix are left alone, unlike Litestream, which deletes everything under
	 * its path.
	 * @throws IOException as described in the error contract
	 */
	@Override
	public void deleteAll() throws IOException {
		for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
			String levelPrefix = this.requests.levelPrefix(level);
			this.listing.deleteLtxFiles(levelPrefix);
			this.multipart.abortUnfinishedUploads(levelPrefix);
		}
	}

	/**
	 * Stops the threads that fetch timestamps, letting requests in flight finish. The
	 * {@link S3Client} stays open; a closed client still works, fetching timestamps on
	 * the calling thread.
	 */
	@Override
	public void close() {
		this.listing.close();
	}

	@Override
	public String toString() {
		return "S3ReplicaClient[" + this.requests.location() + ", endpoint " + this.requests.endpoint() + "]";
	}

	/**
	 * Builds an {@link S3ReplicaClient}.
	 */
	public static final class Builder {

		private final S3Client s3;

		private final String bucket;

		private String prefix = "";

		private int partSize = DEFAULT_PART_SIZE;

		private S3RetryPolicy retryPolicy = S3RetryPolicy.DEFAULT;

		private S3RequestListener listener = S3RequestListener.NO_OP;

		private int metadataConcurrency = DEFAULT_METADATA_CONCURRENCY;

		private int downloadParallelism = DEFAULT_DOWNLOAD_PARALLELISM;

		private int uploadConcurrency = DEFAULT_UPLOAD_CONCURRENCY;

		private S3Encryption encryption = S3Encryption.NONE;

		private @Nullable String storageClass;

		private Builder(S3Client s3, String bucket) {
			this.s3 = Objects.requireNonNull(s3, "s3");
			Objects.requireNonNull(bucket, "bucket");
			if (bucket.isBlank() || bucket.contains("/") || !bucket.strip().equals(bucket)) {
				throw new IllegalArgumentException(
						"S3 bucket name '" + bucket + "' must not be blank or contain '/' or surrounding spaces");
			}
			this.bucket = bucket;
		}

		/**
		 * Sets the key prefix, the path of the replica URL ({@code app-db} for
		 * {@code s3://bucket/app-db}). Leading and trailing slashes are dropped, as
		 * Litestream drops them from the URL path.
		 * @param prefix the prefix; empty (the default) puts the files at keys starting
		 * with {@code /}, as Litestream does
		 * @return this builder
		 * @throws IllegalArgumentException if the prefix has an empty, {@code .} or
		 * {@code ..} segment, which HTTP clients and S3-compatible stores rewrite
		 */
		public Builder prefix(String prefix) {
			Objects.requireNonNull(prefix, "prefix");
			String trimmed = prefix;
			while (trimmed.startsWith("/")) {
				trimmed = trimmed.substring(1);
			}
			while (trimmed.endsWith("/")) {
				trimmed = trimmed.substring(0, trimmed.length() - 1);
			}
			if (!trimmed.isEmpty()) {
				for (String segment : trimmed.split("/", -1)) {
					if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
						throw new IllegalArgumentException("S3 prefix '" + prefix
								+ "' must not contain empty, '.' or '..' segments; write it as 'a/b'");
					}
				}
			}
			this.prefix = trimmed;
			return this;
		}

		/**
		 * Sets the part size of multipart uploads: files smaller than this are written
		 * with one {@code PutObject}, larger ones in parts of this size, one of which is
		 * held in memory per upload. Files can be up to {@value #MAX_PARTS} parts long.
		 * @param bytes the part size, from {@value #MIN_PART_SIZE} (S3's minimum) to
		 * {@value #MAX_PART_SIZE} bytes
		 * @return this builder
		 */
		public Builder partSize(long bytes) {
			if (bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
				throw new IllegalArgumentException("S3 part size must be between " + MIN_PART_SIZE + " and "
						+ MAX_PART_SIZE + " bytes, got " + bytes);
			}
			this.partSize = (int) bytes;
			return this;
		}

		/**
		 * Sets how failed requests are retried.
		 * @param retryPolicy the policy; {@link S3RetryPolicy#none()} to never retry
		 * @return this builder
		 */
		public Builder retryPolicy(S3RetryPolicy retryPolicy) {
			this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
			return this;
		}

		/**
		 * Sets the listener told about every request.
		 * @param listener the listener; {@link S3RequestListener#NO_OP} by default
		 * @return this builder
		 */
		public Builder requestListener(S3RequestListener listener) {
			this.listener = Objects.requireNonNull(listener, "listener");
			return this;
		}

		/**
		 * Sets how many {@code HeadObject} requests fetch file timestamps at once when a
		 * listing shows files this client has not seen yet.
		 * @param threads at least 1; 1 fetches on the listing thread
		 * @return this builder
		 */
		public Builder metadataConcurrency(int threads) {
			if (threads < 1) {
				throw new IllegalArgumentException("S3 metadata concurrency must be at least 1, got " + threads);
			}
			this.metadataConcurrency = threads;
			return this;
		}

		/**
		 * Sets how many byte ranges of one file {@link S3ReplicaClient#download} fetches
		 * at once, each a part size long; files no larger than one part are always one
		 * request. Restores download several files at once, each with up to this many
		 * connections.
		 * @param connections at least 1; 1 fetches the ranges one after the other on the
		 * calling thread; {@value #DEFAULT_DOWNLOAD_PARALLELISM} by default
		 * @return this builder
		 */
		public Builder downloadParallelism(int connections) {
			if (connections < 1) {
				throw new IllegalArgumentException("S3 download parallelism must be at least 1, got " + connections);
			}
			this.downloadParallelism = connections;
			return this;
		}

		/**
		 * Sets how many parts of one multipart upload are sent at once. Each is held in
		 * memory while it is sent, so an upload holds up to this many parts of
		 * {@link #partSize(long) part size}.
		 * @param parts at least 1; 1 sends them one after the other on the calling
		 * thread; {@value #DEFAULT_UPLOAD_CONCURRENCY} by default
		 * @return this builder
		 */
		public Builder uploadConcurrency(int parts) {
			if (parts < 1) {
				throw new IllegalArgumentException("S3 upload concurrency must be at least 1, got " + parts);
			}
			this.uploadConcurrency = parts;
			return this;
		}

		/**
		 * Sets the server-side encryption of the objects written, and the customer key
		 * that reads send with SSE-C.
		 * @param encryption the encryption; {@link S3Encryption#NONE} (the bucket's
		 * default) by default
		 * @return this builder
		 */
		public Builder encryption(S3Encryption encryption) {
			this.encryption = Objects.requireNonNull(encryption, "encryption");
			return this;
		}

		/**
		 * Sets the storage class of the objects written, for example {@code STANDARD_IA}.
		 * @param storageClass the storage class, or {@code null} for the bucket's default
		 * @return this builder
		 */
		public Builder storageClass(@Nullable String storageClass) {
			this.storageClass = (storageClass != null && !storageClass.isBlank()) ? storageClass.strip() : null;
			return this;
		}

		/**
		 * Builds the client. No request is made until the first operation.
		 * @return the client
		 */
		public S3ReplicaClient build() {
			return new S3ReplicaClient(this);
		}

	}

}
