package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Writes a file larger than one part, whose length is not known in advance, as a
 * multipart upload: sends up to {@code uploadConcurrency} parts at once, each held in
 * memory while it is sent, so memory stays bounded whatever the file size; creates the
 * file only if absent when asked ({@code If-None-Match: *} on
 * {@code CompleteMultipartUpload}); aborts a failed upload, and those a crash left.
 */
final class S3MultipartUpload {

	// Under the client's name, which is the logger users configure
	private static final Logger logger = LoggerFactory.getLogger(S3ReplicaClient.class);

	private static final AtomicInteger UPLOAD_THREADS = new AtomicInteger();

	private final S3Requests requests;

	private final S3Client s3;

	private final String bucket;

	private final String endpoint;

	private final S3Encryption encryption;

	private final @Nullable String storageClass;

	private final int partSize;

	private final int uploadConcurrency;

	S3MultipartUpload(S3Requests requests, @Nullable String storageClass, int partSize, int uploadConcurrency) {
		this.requests = requests;
		this.s3 = requests.s3();
		this.bucket = requests.bucket();
		this.endpoint = requests.endpoint();
		this.encryption = requests.encryption();
		this.storageClass = storageClass;
		this.partSize = partSize;
		this.uploadConcurrency = uploadConcurrency;
	}

	/**
	 * Streams a file of more than one part as a multipart upload, whose first part is
	 * already in {@code buffer}; aborts the upload when it fails.
	 */
	Uploaded upload(String key, byte[] buffer, PartReader reader, Map<String, String> metadata, boolean ifAbsent)
			throws IOException {
		String action = "write LTX file '" + this.requests.objectUri(key) + "' as a multipart upload";
		if (ifAbsent) {
			checkAbsent(key);
		}
		CreateMultipartUploadRequest create = this.encryption
			.onCreateMultipartUpload(CreateMultipartUploadRequest.builder()
				.bucket(this.bucket)
				.key(key)
				.contentType(S3Requests.CONTENT_TYPE)
				.metadata(metadata)
				.storageClass(this.storageClass))
			.build();
		String uploadId;
		try {
			uploadId = this.requests
				.execute(S3Operation.PUT, "CreateMultipartUpload", () -> this.s3.createMultipartUpload(create),
						(response) -> 0)
				.uploadId();
		}
		catch (SdkException ex) {
			throw this.requests.failure(action, ex);
		}
		try {
			List<CompletedPart> parts = new ArrayList<>();
			long size = (this.uploadConcurrency <= 1) ? uploadParts(key, uploadId, buffer, reader, action, parts)
					: uploadPartsConcurrently(key, uploadId, buffer, reader, action, parts);
			parts.sort(Comparator.comparing(CompletedPart::partNumber));
			return completeMultipartUpload(key, uploadId, parts, size, action, ifAbsent);
		}
		catch (IOException | RuntimeException | Error ex) {
			abortQuietly(key, uploadId, ex);
			throw ex;
		}
	}

	private void checkAbsent(String key) throws IOException {
		HeadObjectRequest request = this.encryption.onRead(HeadObjectRequest.builder().bucket(this.bucket).key(key))
			.build();
		try {
			this.requests.execute(S3Operation.GET, "HeadObject", () -> this.s3.headObject(request), (response) -> 0);
		}
		catch (SdkException ex) {
			if (S3Failures.statusCode(ex) == 404) {
				return;
			}
			throw this.requests.failure("check whether '" + this.requests.objectUri(key) + "' exists", ex);
		}
		throw new FileAlreadyExistsException(this.requests.objectUri(key));
	}

	private long uploadParts(String key, String uploadId, byte[] buffer, PartReader reader, String action,
			List<CompletedPart> parts) throws IOException {
		long size = 0;
		int length = buffer.length;
		while (true) {
			int partNumber = parts.size() + 1;
			checkPartNumber(partNumber, action);
			parts.add(uploadPart(key, uploadId, partNumber, buffer, length, action));
			size += length;
			if (length < buffer.length || !reader.hasMore()) {
				return size;
			}
			length = reader.fill(buffer, 0);
		}
	}

	/**
	 * Sends up to {@link S3ReplicaClient.Builder#uploadConcurrency(int)
	 * uploadConcurrency} parts at once: the calling thread reads the next part while
	 * others are sent, into one of at most that many part buffers, so memory stays
	 * bounded.
	 */
	private long uploadPartsConcurrently(String key, String uploadId, byte[] firstBuffer, PartReader reader,
			String action, List<CompletedPart> parts) throws IOException {
		PartThreads pool = new PartThreads(this.uploadConcurrency, "litestream-s3-upload-", UPLOAD_THREADS);
		CompletionService<SentPart> sent = new ExecutorCompletionService<>(pool.executor());
		String uri = this.requests.objectUri(key);
		try {
			long size = 0;
			int allocated = 1;
			int inFlight = 0;
			byte[] buffer = firstBuffer;
			int length = firstBuffer.length;
			for (int partNumber = 1;; partNumber++) {
				checkPartNumber(partNumber, action);
				byte[] part = buffer;
				int partLength = length;
				int number = partNumber;
				sent.submit(() -> new SentPart(uploadPart(key, uploadId, number, part, partLength, action), part));
				inFlight++;
				size += length;
				if (length < buffer.length || !reader.hasMore()) {
					break;
				}
				if (allocated < this.uploadConcurrency) {
					buffer = new byte[this.partSize];
					allocated++;
				}
				else {
					// Every buffer is being sent: wait for one to come back
					SentPart done = sent.take().get();
					inFlight--;
					parts.add(done.part());
					buffer = done.buffer();
				}
				length = reader.fill(buffer, 0);
			}
			for (; inFlight > 0; inFlight--) {
				// Each request is bounded by the S3Client's timeouts, so no deadline here
				parts.add(sent.take().get().part());
			}
			return size;
		}
		catch (ExecutionException ex) {
			throw PartThreads.failureOf(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while uploading '" + uri + "'");
		}
		finally {
			// After a failure the other parts are of no use; either way no thread sends a
			// part once this method returned (and the upload may be aborted)
			pool.shutdownNow();
			pool.awaitTermination(uri);
		}
	}

	private void checkPartNumber(int partNumber, String action) throws ReplicaException {
		if (partNumber > S3ReplicaClient.MAX_PARTS) {
			throw new ReplicaException("Cannot " + action + ": it is larger than " + S3ReplicaClient.MAX_PARTS
					+ " parts of " + this.partSize + " bytes. Configure a larger part size.", false, null);
		}
	}

	private CompletedPart uploadPart(String key, String uploadId, int partNumber, byte[] buffer, int length,
			String action) throws IOException {
		UploadPartRequest request = this.encryption
			.onUploadPart(UploadPartRequest.builder()
				.bucket(this.bucket)
				.key(key)
				.uploadId(uploadId)
				.partNumber(partNumber)
				.contentLength((long) length))
			.build();
		UploadPartResponse response;
		try {
			response = this.requests.execute(S3Operation.PUT, "UploadPart",
					() -> this.s3.uploadPart(request, S3Requests.body(buffer, length)), (done) -> length);
		}
		catch (SdkException ex) {
			throw this.requests.failure(action + " (part " + partNumber + ")", ex);
		}
		// Checksums the SDK added to the part must be repeated when completing
		return CompletedPart.builder()
			.partNumber(partNumber)
			.eTag(response.eTag())
			.checksumCRC32(response.checksumCRC32())
			.checksumCRC32C(response.checksumCRC32C())
			.checksumCRC64NVME(response.checksumCRC64NVME())
			.checksumSHA1(response.checksumSHA1())
			.checksumSHA256(response.checksumSHA256())
			.build();
	}

	private Uploaded completeMultipartUpload(String key, String uploadId, List<CompletedPart> parts, long size,
			String action, boolean ifAbsent) throws IOException {
		CompleteMultipartUploadRequest request = this.encryption
			.onCompleteMultipartUpload(CompleteMultipartUploadRequest.builder()
				.bucket(this.bucket)
				.key(key)
				.uploadId(uploadId)
				.multipartUpload((upload) -> upload.parts(parts))
				.ifNoneMatch(ifAbsent ? "*" : null))
			.build();
		try {
			SdkResponse response = this.requests.execute(S3Operation.PUT, "CompleteMultipartUpload",
					() -> this.s3.completeMultipartUpload(request), (done) -> 0);
			return new Uploaded(size, Uploaded.eTagOf(response));
		}
		catch (SdkException ex) {
			Uploaded completed = ("NoSuchUpload".equals(S3Failures.errorCode(ex))) ? completedEarlier(key, size) : null;
			if (completed != null) {
				return completed;
			}
			if (ifAbsent && S3Failures.isConditionFailure(ex)) {
				throw this.requests.alreadyExists(key, ex);
			}
			throw this.requests.failure(action, ex);
		}
	}

	/**
	 * After a retried {@code CompleteMultipartUpload} found the upload gone: the attempt
	 * whose response was lost may have completed it. Checks for the object.
	 */
	private @Nullable Uploaded completedEarlier(String key, long size) {
		HeadObjectRequest request = this.encryption.onRead(HeadObjectRequest.builder().bucket(this.bucket).key(key))
			.build();
		try {
			HeadObjectResponse head = this.requests.execute(S3Operation.GET, "HeadObject",
					() -> this.s3.headObject(request), (response) -> 0);
			return (head.contentLength() != null && head.contentLength() == size) ? new Uploaded(size, head.eTag())
					: null;
		}
		catch (SdkException | IOException ex) {
			return null;
		}
	}

	private void abortQuietly(String key, String uploadId, Throwable failure) {
		// Cleanup must run even when the failure was an interrupt, which the SDK would
		// otherwise turn into an immediate abort of this request too
		boolean interrupted = Thread.interrupted();
		try {
			abortMultipartUpload(key, uploadId);
		}
		catch (IOException | SdkException ex) {
			failure.addSuppressed(ex);
			logger.warn("Could not abort the unfinished multipart upload of '{}' (endpoint {}): {}. It is never "
					+ "listed; deleteAll() or a bucket lifecycle rule for incomplete multipart uploads removes it.",
					this.requests.objectUri(key), this.endpoint, ex.getMessage());
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void abortMultipartUpload(String key, String uploadId) throws IOException {
		this.requests.execute(S3Operation.DELETE, "AbortMultipartUpload",
				() -> this.s3
					.abortMultipartUpload((request) -> request.bucket(this.bucket).key(key).uploadId(uploadId)),
				(response) -> 0);
	}

	/**
	 * Aborts the unfinished multipart uploads of LTX files of one level, which a crashed
	 * writer left behind.
	 */
	void abortUnfinishedUploads(String levelPrefix) throws IOException {
		String keyMarker = null;
		String uploadIdMarker = null;
		do {
			ListMultipartUploadsRequest.Builder builder = ListMultipartUploadsRequest.builder()
				.bucket(this.bucket)
				.prefix(levelPrefix)
				.delimiter("/");
			if (keyMarker != null) {
				builder.keyMarker(keyMarker).uploadIdMarker(uploadIdMarker);
			}
			ListMultipartUploadsRequest request = builder.build();
			ListMultipartUploadsResponse page;
			try {
				page = this.requests.execute(S3Operation.LIST, "ListMultipartUploads",
						() -> this.s3.listMultipartUploads(request), (response) -> 0);
			}
			catch (SdkException ex) {
				if (S3Failures.statusCode(ex) == 501) {
					// Stores without multipart listings cannot show leftovers either
					return;
				}
				throw this.requests.failure("list unfinished uploads in '" + this.requests.objectUri(levelPrefix) + "'",
						ex);
			}
			for (MultipartUpload upload : page.uploads()) {
				String key = upload.key();
				if (key != null && key.startsWith(levelPrefix)
						&& LtxFileName.parse(key.substring(levelPrefix.length())) != null) {
					try {
						abortMultipartUpload(key, upload.uploadId());
					}
					catch (SdkException ex) {
						if (S3Failures.statusCode(ex) != 404) {
							throw this.requests
								.failure("abort the unfinished upload of '" + this.requests.objectUri(key) + "'", ex);
						}
					}
				}
			}
			boolean truncated = Boolean.TRUE.equals(page.isTruncated());
			keyMarker = truncated ? page.nextKeyMarker() : null;
			uploadIdMarker = truncated ? page.nextUploadIdMarker() : null;
		}
		while (keyMarker != null);
	}

	/**
	 * A part sent by a multipart upload, and its buffer, free again.
	 */
	private record SentPart(CompletedPart part, byte[] buffer) {

	}

}
