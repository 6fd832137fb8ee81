package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What a replica holds: lists the LTX files of a level with the exact timestamp of each,
 * and deletes them. {@code ListObjectsV2} does not return user metadata, so timestamps
 * come from the {@link TimestampCache} (files this client wrote or has already asked
 * about), and the others from {@code HeadObject}, in parallel on up to
 * {@code metadataConcurrency} threads that an idle client does not hold.
 */
final class S3Listing {

	private static final Duration METADATA_TIMEOUT = Duration.ofMinutes(5);

	private static final Duration METADATA_THREAD_KEEP_ALIVE = Duration.ofSeconds(30);

	private static final AtomicInteger METADATA_THREADS = new AtomicInteger();

	private final S3Requests requests;

	private final S3Client s3;

	private final String bucket;

	private final String endpoint;

	private final S3Encryption encryption;

	private final TimestampCache timestamps;

	private final int metadataConcurrency;

	private final Object executorLock = new Object();

	private @Nullable ThreadPoolExecutor metadataExecutor;

	private volatile boolean closed;

	S3Listing(S3Requests requests, TimestampCache timestamps, int metadataConcurrency) {
		this.requests = requests;
		this.s3 = requests.s3();
		this.bucket = requests.bucket();
		this.endpoint = requests.endpoint();
		this.encryption = requests.encryption();
		this.timestamps = timestamps;
		this.metadataConcurrency = metadataConcurrency;
	}

	/**
	 * Lists the LTX files of one level with their timestamps, as
	 * {@link S3ReplicaClient#listFiles(int, long)} describes.
	 */
	List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
		String levelPrefix = this.requests.levelPrefix(level);
		// Keys sort as TXIDs do, so every file from minTxidAtLeast on comes after the
		// greatest name with a smaller minTxid
		String startAfter = (minTxidAtLeast != 0) ? levelPrefix + LtxFileName.format(minTxidAtLeast - 1, -1L) : null;
		List<S3Object> objects = listObjects(levelPrefix, startAfter, "list LTX files in");
		List<ListedFile> listed = new ArrayList<>(objects.size());
		for (S3Object object : objects) {
			LtxFileName name = LtxFileName.parse(object.key().substring(levelPrefix.length()));
			// The TXID test also covers stores that ignore StartAfter
			if (name != null && Long.compareUnsigned(name.minTxid(), name.maxTxid()) <= 0
					&& Long.compareUnsigned(name.minTxid(), minTxidAtLeast) >= 0) {
				listed.add(new ListedFile(object.key(), name, (object.size() != null) ? object.size() : 0,
						object.eTag(), object.lastModified()));
			}
		}
		List<LtxFileInfo> files = withTimestamps(level, listed);
		if (startAfter == null) {
			Set<String> keys = new HashSet<>();
			listed.forEach((file) -> keys.add(file.key()));
			this.timestamps.retainListed(levelPrefix, keys);
		}
		files.sort(LtxFileInfo.txidOrder());
		return files;
	}

	private List<S3Object> listObjects(String levelPrefix, @Nullable String startAfter, String action)
			throws IOException {
		List<S3Object> objects = new ArrayList<>();
		String token = null;
		do {
			ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
				.bucket(this.bucket)
				.prefix(levelPrefix)
				.delimiter("/");
			if (token != null) {
				request.continuationToken(token);
			}
			else if (startAfter != null) {
				request.startAfter(startAfter);
			}
			ListObjectsV2Request built = request.build();
			ListObjectsV2Response page;
			try {
				page = this.requests.execute(S3Operation.LIST, "ListObjectsV2", () -> this.s3.listObjectsV2(built),
						(response) -> 0);
			}
			catch (SdkException ex) {
				throw this.requests.failure(action + " '" + this.requests.objectUri(levelPrefix) + "'", ex);
			}
			for (S3Object object : page.contents()) {
				if (object.key() != null && object.key().startsWith(levelPrefix)) {
					objects.add(object);
				}
			}
			token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
		}
		while (token != null);
		return objects;
	}

	private List<LtxFileInfo> withTimestamps(int level, List<ListedFile> listed) throws IOException {
		List<LtxFileInfo> files = new ArrayList<>(listed.size());
		List<ListedFile> unknown = new ArrayList<>();
		for (ListedFile file : listed) {
			Instant createdAt = this.timestamps.lookup(file.key(), file.eTag(), file.lastModified());
			if (createdAt != null) {
				files.add(file.toInfo(level, file.size(), createdAt));
			}
			else {
				unknown.add(file);
			}
		}
		if (unknown.isEmpty()) {
			return files;
		}
		if (unknown.size() == 1 || this.metadataConcurrency == 1 || this.closed) {
			for (ListedFile file : unknown) {
				addIfPresent(files, head(level, file));
			}
			return files;
		}
		headInParallel(level, unknown, files);
		return files;
	}

	private void headInParallel(int level, List<ListedFile> unknown, List<LtxFileInfo> files) throws IOException {
		ExecutorService executor = metadataExecutor();
		List<Future<@Nullable LtxFileInfo>> futures = new ArrayList<>(unknown.size());
		try {
			for (ListedFile file : unknown) {
				futures.add(executor.submit(() -> head(level, file)));
			}
		}
		catch (RejectedExecutionException ex) {
			// Closed meanwhile: a closed client fetches on the calling thread
			futures.forEach((future) -> future.cancel(true));
			for (ListedFile file : unknown) {
				addIfPresent(files, head(level, file));
			}
			return;
		}
		try {
			long deadline = System.nanoTime() + METADATA_TIMEOUT.toNanos();
			for (Future<@Nullable LtxFileInfo> future : futures) {
				addIfPresent(files, future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
			}
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof IOException io) {
				throw io;
			}
			if (cause instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new IllegalStateException(cause);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while reading the timestamps of LTX files in '"
					+ this.requests.objectUri(this.requests.levelPrefix(level)) + "'");
		}
		catch (TimeoutException ex) {
			throw new ReplicaException("Reading the timestamps of " + unknown.size() + " LTX files in '"
					+ this.requests.objectUri(this.requests.levelPrefix(level)) + "' (endpoint " + this.endpoint
					+ ") took longer than " + METADATA_TIMEOUT.toMinutes()
					+ " minutes. This may be temporary; the operation can be " + "retried.", true, ex);
		}
		catch (CancellationException ex) {
			throw new ReplicaException("Reading the timestamps of LTX files in '"
					+ this.requests.objectUri(this.requests.levelPrefix(level))
					+ "' was cancelled because the client was closed", true, ex);
		}
		finally {
			// After a failure the other requests are of no use
			futures.forEach((future) -> future.cancel(true));
		}
	}

	private static void addIfPresent(List<LtxFileInfo> files, @Nullable LtxFileInfo file) {
		if (file != null) {
			files.add(file);
		}
	}

	private ExecutorService metadataExecutor() {
		synchronized (this.executorLock) {
			if (this.metadataExecutor == null) {
				ThreadPoolExecutor executor = new ThreadPoolExecutor(this.metadataConcurrency, this.metadataConcurrency,
						METADATA_THREAD_KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
						(task) -> {
							Thread thread = new Thread(task,
									"litestream-s3-metadata-" + METADATA_THREADS.incrementAndGet());
							thread.setDaemon(true);
							return thread;
						});
				// Idle clients hold no threads
				executor.allowCoreThreadTimeOut(true);
				this.metadataExecutor = executor;
			}
			return this.metadataExecutor;
		}
	}

	/**
	 * Reads the timestamp of one listed object.
	 * @return the file, or {@code null} when it was deleted since it was listed
	 */
	private @Nullable LtxFileInfo head(int level, ListedFile file) throws IOException {
		HeadObjectRequest request = this.encryption
			.onRead(HeadObjectRequest.builder().bucket(this.bucket).key(file.key()))
			.build();
		HeadObjectResponse head;
		try {
			head = this.requests.execute(S3Operation.GET, "HeadObject", () -> this.s3.headObject(request),
					(response) -> 0);
		}
		catch (SdkException ex) {
			if (S3Failures.statusCode(ex) == 404) {
				return null;
			}
			throw this.requests.failure("read the timestamp of '" + this.requests.objectUri(file.key()) + "'", ex);
		}
		String value = head.hasMetadata() ? head.metadata().get(S3ReplicaClient.TIMESTAMP_METADATA_KEY) : null;
		Instant createdAt = (value != null) ? S3Timestamps.parse(value) : null;
		if (createdAt == null) {
			// Written before Litestream v0.5.1 or by another tool: the upload time is the
			// best there is, as in Litestream
			Instant lastModified = (head.lastModified() != null) ? head.lastModified() : file.lastModified();
			createdAt = (lastModified != null) ? lastModified.truncatedTo(ChronoUnit.MILLIS) : Instant.EPOCH;
		}
		// Remembered under the version the listing showed, which the next listing matches
		this.timestamps.put(file.key(), file.eTag(), createdAt, file.lastModified());
		long size = (head.contentLength() != null) ? head.contentLength() : file.size();
		return file.toInfo(level, size, createdAt);
	}

	/**
	 * Deletes the given files, as {@link S3ReplicaClient#deleteFiles(Collection)}
	 * describes.
	 */
	void deleteFiles(Collection<LtxFileInfo> files) throws IOException {
		// Keys are built (and so validated) before any request
		Set<String> keys = new LinkedHashSet<>();
		for (LtxFileInfo file : files) {
			keys.add(this.requests.key(file.level(), file.minTxid(), file.maxTxid()));
		}
		deleteKeys(new ArrayList<>(keys));
	}

	/**
	 * Deletes every LTX file of one level, leaving other objects alone.
	 */
	void deleteLtxFiles(String levelPrefix) throws IOException {
		List<String> keys = new ArrayList<>();
		for (S3Object object : listObjects(levelPrefix, null, "delete the LTX files in")) {
			if (LtxFileName.parse(object.key().substring(levelPrefix.length())) != null) {
				keys.add(object.key());
			}
		}
		deleteKeys(keys);
	}

	private void deleteKeys(List<String> keys) throws IOException {
		for (int from = 0; from < keys.size(); from += S3ReplicaClient.MAX_KEYS_PER_DELETE) {
			List<String> batch = keys.subList(from, Math.min(keys.size(), from + S3ReplicaClient.MAX_KEYS_PER_DELETE));
			List<ObjectIdentifier> identifiers = new ArrayList<>(batch.size());
			batch.forEach((key) -> identifiers.add(ObjectIdentifier.builder().key(key).build()));
			DeleteObjectsRequest request = DeleteObjectsRequest.builder()
				.bucket(this.bucket)
				.delete((delete) -> delete.objects(identifiers).quiet(true))
				.build();
			String action = "delete " + batch.size() + " LTX files from '" + this.requests.location() + "'";
			DeleteObjectsResponse response;
			try {
				response = this.requests.execute(S3Operation.DELETE, "DeleteObjects",
						() -> this.s3.deleteObjects(request), (done) -> 0);
			}
			catch (SdkException ex) {
				throw this.requests.failure(action, ex);
			}
			batch.forEach(this.timestamps::remove);
			checkDeleted(response, action);
		}
	}

	private void checkDeleted(DeleteObjectsResponse response, String action) throws ReplicaException {
		List<S3Error> errors = new ArrayList<>();
		for (S3Error error : response.errors()) {
			// Deleting what is already gone succeeds, as the contract asks
			if (!"NoSuchKey".equals(error.code())) {
				errors.add(error);
			}
		}
		if (errors.isEmpty()) {
			return;
		}
		S3Error first = errors.get(0);
		boolean retryable = errors.stream()
			.allMatch((error) -> "InternalError".equals(error.code()) || "SlowDown".equals(error.code())
					|| "ServiceUnavailable".equals(error.code()));
		throw new ReplicaException(
				"Cannot " + action + " (bucket '" + this.bucket + "', endpoint " + this.endpoint + "): " + errors.size()
						+ " of them failed, the first '" + this.requests.objectUri(first.key()) + "' with "
						+ first.code() + " (" + first.message() + "). "
						+ (retryable ? "This may be temporary; the operation can be retried."
								: "Check the credentials' s3:DeleteObject permission on bucket '" + this.bucket + "'."),
				retryable, null);
	}

	/**
	 * Stops the threads that fetch timestamps, letting requests in flight finish; later
	 * listings fetch timestamps on the calling thread.
	 */
	void close() {
		this.closed = true;
		synchronized (this.executorLock) {
			if (this.metadataExecutor != null) {
				this.metadataExecutor.shutdown();
			}
		}
	}

	/**
	 * An object that a listing showed.
	 */
	private record ListedFile(String key, LtxFileName name, long size, @Nullable String eTag,
			@Nullable Instant lastModified) {

		LtxFileInfo toInfo(int level, long size, Instant createdAt) {
			return new LtxFileInfo(level, this.name.minTxid(), this.name.maxTxid(), size, createdAt);
		}

	}

}
