package io.github.litestream.storage.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.SdkPlugin;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;

/**
 * One replica's bucket and prefix as the classes of this package address them: the keys
 * of the layout, and every request, retried by the {@link S3RetryPolicy}, reported
 * attempt by attempt to the {@link S3RequestListener}, and its final failure turned into
 * the storage contract's exception by {@link S3Failures}.
 */
final class S3Requests {

	/**
	 * The content type of LTX files.
	 */
	static final String CONTENT_TYPE = "application/octet-stream";

	/** Turns the {@link S3Client}'s own retries off for one request. */
	static final SdkPlugin WITHOUT_SDK_RETRIES = (config) -> config
		.overrideConfiguration((override) -> override.retryStrategy(AwsRetryStrategy.doNotRetry()));

	// Under the client's name, which is the logger users configure
	private static final Logger logger = LoggerFactory.getLogger(S3ReplicaClient.class);

	private final S3Client s3;

	private final String bucket;

	private final String prefix;

	private final S3RetryPolicy retryPolicy;

	private final S3RequestListener listener;

	private final S3Encryption encryption;

	private final String location;

	private final String endpoint;

	private final AtomicBoolean listenerFailureLogged = new AtomicBoolean();

	S3Requests(S3Client s3, String bucket, String prefix, S3RetryPolicy retryPolicy, S3RequestListener listener,
			S3Encryption encryption) {
		this.s3 = s3;
		this.bucket = bucket;
		this.prefix = prefix;
		this.retryPolicy = retryPolicy;
		this.listener = listener;
		this.encryption = encryption;
		this.location = "s3://" + this.bucket + (this.prefix.isEmpty() ? "" : "/" + this.prefix);
		this.endpoint = describeEndpoint(this.s3);
	}

	private static String describeEndpoint(S3Client s3) {
		try {
			S3ServiceClientConfiguration configuration = s3.serviceClientConfiguration();
			return S3Failures.describeEndpoint(configuration.endpointOverride().orElse(null),
					(configuration.region() != null) ? configuration.region().id() : null);
		}
		catch (RuntimeException ex) {
			// Only used in messages: a client that cannot describe itself still works
			return "(unknown endpoint)";
		}
	}

	S3Client s3() {
		return this.s3;
	}

	String bucket() {
		return this.bucket;
	}

	String prefix() {
		return this.prefix;
	}

	/**
	 * Returns the server-side encryption that every request carries.
	 * @return the encryption
	 */
	S3Encryption encryption() {
		return this.encryption;
	}

	/**
	 * Returns {@code s3://<bucket>/<prefix>}, or {@code s3://<bucket>} with an empty
	 * prefix.
	 * @return the location
	 */
	String location() {
		return this.location;
	}

	/**
	 * Returns the endpoint, as shown in messages.
	 * @return the endpoint
	 */
	String endpoint() {
		return this.endpoint;
	}

	/**
	 * Returns the object key of one file, {@code <prefix>/<level %04x>/<min>-<max>.ltx}.
	 * @param level the level
	 * @param minTxid the first transaction ID
	 * @param maxTxid the last transaction ID
	 * @return the key; it starts with {@code /} when the prefix is empty, as in
	 * Litestream
	 */
	String key(int level, long minTxid, long maxTxid) {
		LtxFileInfo.checkTxidRange(minTxid, maxTxid);
		return levelPrefix(level) + LtxFileName.format(minTxid, maxTxid);
	}

	/**
	 * Returns the key prefix of one level, {@code <prefix>/<level %04x>/}.
	 * @param level the level
	 * @return the prefix of the level's keys
	 */
	String levelPrefix(int level) {
		return this.prefix + "/" + String.format(Locale.ROOT, "%04x", LtxFileInfo.checkLevel(level)) + "/";
	}

	/**
	 * Returns the key of the lease object: {@code <prefix>/lock.json}, or
	 * {@code lock.json} with an empty prefix, as Litestream's leaser builds it.
	 * @return the key
	 */
	String leaseKey() {
		return this.prefix.isEmpty() ? ReplicaClient.LEASE_OBJECT_NAME
				: this.prefix + "/" + ReplicaClient.LEASE_OBJECT_NAME;
	}

	String objectUri(String key) {
		return "s3://" + this.bucket + "/" + key;
	}

	/**
	 * Makes one S3 request, retrying it by the retry policy, and reports every attempt to
	 * the listener.
	 * @param operation the billing class of the request
	 * @param apiName the S3 API called
	 * @param call the request
	 * @param bytes the payload bytes of a successful response
	 * @return the response
	 * @throws SdkException the last failure, when it is not retryable or attempts ran out
	 * @throws InterruptedIOException if interrupted before a retry (the interrupt status
	 * stays set)
	 */
	<T> T execute(S3Operation operation, String apiName, Supplier<T> call, ToLongFunction<T> bytes)
			throws InterruptedIOException {
		return execute(operation, apiName, call, bytes, false);
	}

	/**
	 * As {@link #execute(S3Operation, String, Supplier, ToLongFunction)}; when
	 * {@code heldOnce}, an attempt that failed after {@link S3ReplicaClient#HELD_ATTEMPT}
	 * or longer is not repeated.
	 */
	<T> T execute(S3Operation operation, String apiName, Supplier<T> call, ToLongFunction<T> bytes, boolean heldOnce)
			throws InterruptedIOException {
		for (int attempt = 1;; attempt++) {
			T response;
			long started = System.nanoTime();
			try {
				response = call.get();
			}
			catch (SdkException ex) {
				report(operation, apiName, S3Failures.statusCode(ex), 0);
				boolean held = heldOnce && System.nanoTime() - started >= S3ReplicaClient.HELD_ATTEMPT.toNanos();
				if (held || attempt >= this.retryPolicy.maxAttempts() || !S3Failures.isRetryable(ex)) {
					throw ex;
				}
				if (Thread.currentThread().isInterrupted()) {
					throw interrupted(apiName, ex);
				}
				backOff(attempt, apiName, ex);
				continue;
			}
			report(operation, apiName, statusOf(response), bytes.applyAsLong(response));
			return response;
		}
	}

	private static int statusOf(Object response) {
		SdkResponse sdkResponse = (response instanceof ResponseInputStream<?> stream) ? (SdkResponse) stream.response()
				: (SdkResponse) response;
		return sdkResponse.sdkHttpResponse().statusCode();
	}

	private void backOff(int attempt, String apiName, SdkException failure) throws InterruptedIOException {
		Duration delay = this.retryPolicy.backoff(attempt);
		logger.debug("S3 {} on bucket '{}' (endpoint {}) failed (attempt {} of {}), retrying in {} ms: {}", apiName,
				this.bucket, this.endpoint, attempt, this.retryPolicy.maxAttempts(), delay.toMillis(),
				failure.getMessage());
		if (delay.isZero()) {
			return;
		}
		try {
			// A backoff, not a synchronisation: there is nothing to wait for but time
			Thread.sleep(delay.toMillis(), (int) (delay.toNanos() % 1_000_000));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw interrupted(apiName, failure);
		}
	}

	private InterruptedIOException interrupted(String apiName, SdkException failure) {
		InterruptedIOException interrupted = new InterruptedIOException(
				"Interrupted before retrying S3 " + apiName + " on bucket '" + this.bucket + "'");
		interrupted.initCause(failure);
		return interrupted;
	}

	private void report(S3Operation operation, String apiName, int statusCode, long bytes) {
		try {
			this.listener.onRequest(new S3RequestEvent(operation, apiName, statusCode, bytes));
		}
		catch (RuntimeException ex) {
			if (this.listenerFailureLogged.compareAndSet(false, true)) {
				logger.warn("S3 request listener {} failed; its failures are ignored: {}", this.listener,
						ex.toString());
			}
		}
	}

	IOException failure(String action, SdkException failure) {
		return S3Failures.toException(action, failure, this.bucket, this.endpoint);
	}

	FileAlreadyExistsException alreadyExists(String key, SdkException cause) {
		FileAlreadyExistsException exists = new FileAlreadyExistsException(objectUri(key));
		exists.initCause(cause);
		return exists;
	}

	static RequestBody body(byte[] buffer, int length) {
		// A fresh stream over the same bytes for every attempt, without copying them
		return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length, CONTENT_TYPE);
	}

	static long orZero(@Nullable Long value) {
		return (value != null) ? value : 0;
	}

}
