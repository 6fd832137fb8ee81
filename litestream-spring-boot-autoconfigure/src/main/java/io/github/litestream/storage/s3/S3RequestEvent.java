package io.github.litestream.storage.s3;

import java.util.Objects;

/**
 * One request that an {@link S3ReplicaClient} made, successful or not, as reported to an
 * {@link S3RequestListener}.
 * <p>
 * One event is one call of the SDK's {@code S3Client}. A request that the client retries
 * gives one event per attempt; retries that the {@code S3Client} makes internally (its
 * own retry strategy) happen inside one call and are not seen.
 *
 * @param operation the kind of request, as S3 bills it
 * @param apiName the S3 API called, for example {@code "PutObject"} or
 * {@code "UploadPart"}
 * @param statusCode the HTTP status of the response, or {@code 0} when no response
 * arrived (a network error or a timeout)
 * @param bytes the payload bytes transferred: the body sent by a {@code PutObject} or
 * {@code UploadPart}, the content length of a {@code GetObject} response; {@code 0} for
 * other requests and failures
 */
public record S3RequestEvent(S3Operation operation, String apiName, int statusCode, long bytes) {

	/**
	 * Creates an event.
	 * @param operation the kind of request
	 * @param apiName the S3 API called
	 * @param statusCode the HTTP status, or {@code 0} without a response
	 * @param bytes the payload bytes transferred
	 */
	public S3RequestEvent {
		Objects.requireNonNull(operation, "operation");
		Objects.requireNonNull(apiName, "apiName");
		if (bytes < 0) {
			throw new IllegalArgumentException("Bytes must not be negative, got " + bytes);
		}
	}

	/**
	 * Returns whether the request succeeded: S3 answered with a 2xx status.
	 * @return {@code true} for a 2xx status
	 */
	public boolean successful() {
		return this.statusCode >= 200 && this.statusCode < 300;
	}

}
