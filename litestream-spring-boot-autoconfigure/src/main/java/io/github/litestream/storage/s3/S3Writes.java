package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

import io.github.litestream.storage.LeaseConflictException;
import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Writes objects, conditionally where the contract asks: an LTX file with one
 * {@code PutObject} ({@code If-None-Match: *} when it must not replace one), handing
 * files larger than one part to {@link S3MultipartUpload}; and the lease object, created
 * with {@code If-None-Match: *} and replaced with {@code If-Match: <ETag>}, so that of
 * several writers exactly one succeeds.
 */
final class S3Writes {

	// Most L0 files are far smaller than a part: only they share this first buffer, so a
	// write of a few KiB does not allocate a whole part
	private static final int FIRST_BUFFER_SIZE = 64 * 1024;

	/** A lease is a few hundred bytes; anything far larger is not one. */
	private static final int MAX_LEASE_SIZE = 64 * 1024;

	private final S3Requests requests;

	private final S3MultipartUpload multipart;

	private final TimestampCache timestamps;

	private final S3Client s3;

	private final String bucket;

	private final S3Encryption encryption;

	private final @Nullable String storageClass;

	private final int partSize;

	S3Writes(S3Requests requests, S3MultipartUpload multipart, TimestampCache timestamps, @Nullable String storageClass,
			int partSize) {
		this.requests = requests;
		this.multipart = multipart;
		this.timestamps = timestamps;
		this.s3 = requests.s3();
		this.bucket = requests.bucket();
		this.encryption = requests.encryption();
		this.storageClass = storageClass;
		this.partSize = partSize;
	}

	/**
	 * Writes one LTX file with one {@code PutObject}, or as a multipart upload when it is
	 * larger than one part, and remembers its timestamp.
	 * @param ifAbsent whether to create it only if no object of that key exists
	 * @param once whether a {@code PutObject} held by an outage is not repeated
	 */
	LtxFileInfo write(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data, boolean ifAbsent,
			boolean once) throws IOException {
		String key = this.requests.key(level, minTxid, maxTxid);
		Objects.requireNonNull(timestamp, "timestamp");
		Objects.requireNonNull(data, "data");
		Instant createdAt = timestamp.truncatedTo(ChronoUnit.MILLIS);
		Map<String, String> metadata = Map.of(S3ReplicaClient.TIMESTAMP_METADATA_KEY, S3Timestamps.format(createdAt));
		PartReader reader = new PartReader(data);
		Uploaded uploaded;
		try {
			byte[] buffer = new byte[Math.min(FIRST_BUFFER_SIZE, this.partSize)];
			int length = reader.fill(buffer, 0);
			if (length == buffer.length && buffer.length < this.partSize && reader.hasMore()) {
				buffer = Arrays.copyOf(buffer, this.partSize);
				length = reader.fill(buffer, length);
			}
			if (length < this.partSize || !reader.hasMore()) {
				uploaded = putObject(key, buffer, length, metadata, ifAbsent, once);
			}
			else {
				uploaded = this.multipart.upload(key, buffer, reader, metadata, ifAbsent);
			}
		}
		catch (PartReader.SourceException ex) {
			throw ex.getCause();
		}
		this.timestamps.put(key, uploaded.eTag(), createdAt, null);
		return new LtxFileInfo(level, minTxid, maxTxid, uploaded.size(), createdAt);
	}

	private Uploaded putObject(String key, byte[] buffer, int length, Map<String, String> metadata, boolean ifAbsent,
			boolean once) throws IOException {
		PutObjectRequest.Builder builder = this.encryption.onPut(PutObjectRequest.builder()
			.bucket(this.bucket)
			.key(key)
			.contentType(S3Requests.CONTENT_TYPE)
			.contentLength((long) length)
			.metadata(metadata)
			.storageClass(this.storageClass)
			.ifNoneMatch(ifAbsent ? "*" : null));
		if (once) {
			builder.overrideConfiguration((override) -> override.addPlugin(S3Requests.WITHOUT_SDK_RETRIES));
		}
		PutObjectRequest request = builder.build();
		try {
			SdkResponse response = this.requests.execute(S3Operation.PUT, "PutObject",
					() -> this.s3.putObject(request, S3Requests.body(buffer, length)), (done) -> length, once);
			return new Uploaded(length, Uploaded.eTagOf(response));
		}
		catch (SdkException ex) {
			if (ifAbsent && S3Failures.isConditionFailure(ex)) {
				throw this.requests.alreadyExists(key, ex);
			}
			throw this.requests.failure("write LTX file '" + this.requests.objectUri(key) + "'", ex);
		}
	}

	/**
	 * Reads the lease object.
	 * @return the lease, or {@code null} when there is none
	 */
	@Nullable LeaseObject readLease() throws IOException {
		String key = this.requests.leaseKey();
		GetObjectRequest request = this.encryption.onRead(GetObjectRequest.builder().bucket(this.bucket).key(key))
			.build();
		try (ResponseInputStream<GetObjectResponse> stream = this.requests.execute(S3Operation.GET, "GetObject",
				() -> this.s3.getObject(request),
				(response) -> S3Requests.orZero(response.response().contentLength()))) {
			byte[] content = stream.readNBytes(MAX_LEASE_SIZE + 1);
			if (content.length > MAX_LEASE_SIZE) {
				throw new ReplicaException("Lease object '" + this.requests.objectUri(key) + "' is larger than "
						+ MAX_LEASE_SIZE + " bytes: it is not a lease. Remove it.", false, null);
			}
			String eTag = stream.response().eTag();
			return new LeaseObject(content, (eTag != null) ? eTag : "");
		}
		catch (SdkException ex) {
			if (S3Failures.statusCode(ex) == 404) {
				return null;
			}
			throw this.requests.failure("read lease object '" + this.requests.objectUri(key) + "'", ex);
		}
	}

	/**
	 * Writes the lease object with {@code If-None-Match: *} (create) or
	 * {@code If-Match: <ETag>} (replace), as Litestream's leaser does.
	 */
	String putLease(byte[] content, @Nullable String expectedVersion) throws IOException {
		Objects.requireNonNull(content, "content");
		String key = this.requests.leaseKey();
		// Encrypted like every other object; no storage class: the lease is rewritten
		// every few seconds, which infrequent-access classes bill as early deletions.
		PutObjectRequest.Builder builder = this.encryption.onPut(PutObjectRequest.builder()
			.bucket(this.bucket)
			.key(key)
			.contentType("application/json")
			.contentLength((long) content.length));
		if (expectedVersion == null) {
			builder.ifNoneMatch("*");
		}
		else {
			builder.ifMatch(expectedVersion);
		}
		PutObjectRequest request = builder.build();
		try {
			PutObjectResponse response = this.requests.execute(S3Operation.PUT, "PutObject",
					() -> this.s3.putObject(request, S3Requests.body(content, content.length)),
					(done) -> content.length);
			return (response.eTag() != null) ? response.eTag() : "";
		}
		catch (SdkException ex) {
			// 404: replaced with If-Match, but deleted meanwhile (Litestream releases by
			// deleting)
			if (S3Failures.isConditionFailure(ex) || (expectedVersion != null && S3Failures.statusCode(ex) == 404)) {
				throw new LeaseConflictException("Lease object '" + this.requests.objectUri(key) + "' "
						+ ((expectedVersion == null) ? "already exists" : "is no longer version " + expectedVersion));
			}
			throw this.requests.failure("write lease object '" + this.requests.objectUri(key) + "'", ex);
		}
	}

}
