package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.Locale;
import java.util.Set;

import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Classifies SDK failures into the {@link ReplicaException}s of the storage contract:
 * retryable when waiting can help (throttling, server errors, timeouts, network
 * failures), not retryable when someone must act first (credentials, permissions, a
 * missing bucket, a wrong region). Messages name the bucket and the endpoint, never a
 * credential: the SDK's own messages and error details carry none.
 */
final class S3Failures {

	// Error codes that S3 and S3-compatible stores use for load shedding and transient
	// server trouble, whatever HTTP status they come with
	private static final Set<String> RETRYABLE_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
			"TooManyRequests", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled",
			"RequestThrottledException", "RequestTimeout", "RequestTimeoutException", "RequestTimeTooSkewed",
			"InternalError", "ServiceUnavailable", "OperationAborted", "RequestCanceled", "ExpiredToken",
			"TokenRefreshRequired");

	private S3Failures() {
	}

	/**
	 * Returns whether a failed request may succeed when sent again.
	 * @param failure the SDK failure
	 * @return {@code true} for throttling, 5xx, 408, timeouts and network errors
	 */
	static boolean isRetryable(SdkException failure) {
		if (failure instanceof AbortedException) {
			return false;
		}
		if (failure instanceof SdkServiceException service) {
			String code = errorCode(failure);
			if (code != null && RETRYABLE_CODES.contains(code)) {
				return true;
			}
			int status = service.statusCode();
			return status >= 500 || status == 408 || status == 429 || service.isThrottlingException();
		}
		if (failure instanceof ApiCallTimeoutException || failure instanceof ApiCallAttemptTimeoutException) {
			return true;
		}
		// Client-side: retryable when the network failed (refused, reset, timed out,
		// unknown host), not when the client is misconfigured (no credentials or region)
		return hasIoCause(failure);
	}

	/**
	 * Returns whether S3 refused a conditional write: {@code 412 Precondition Failed}, or
	 * {@code 409 ConditionalRequestConflict} (another conditional write of the same key
	 * was in progress).
	 * @param failure the SDK failure
	 * @return {@code true} when the condition ({@code If-None-Match} or {@code If-Match})
	 * did not hold
	 */
	static boolean isConditionFailure(SdkException failure) {
		int status = statusCode(failure);
		return status == 412 || (status == 409 && "ConditionalRequestConflict".equals(errorCode(failure)));
	}

	/**
	 * Returns the HTTP status of a failure, or {@code 0} when no response arrived.
	 * @param failure the SDK failure
	 * @return the status code or 0
	 */
	static int statusCode(SdkException failure) {
		return (failure instanceof SdkServiceException service) ? service.statusCode() : 0;
	}

	/**
	 * Returns the S3 error code of a failure, such as {@code NoSuchBucket}.
	 * @param failure the SDK failure
	 * @return the code, or {@code null} when S3 sent none (a HEAD response, a network
	 * error)
	 */
	static @Nullable String errorCode(SdkException failure) {
		if (failure instanceof AwsServiceException aws) {
			AwsErrorDetails details = aws.awsErrorDetails();
			if (details != null && details.errorCode() != null && !details.errorCode().isBlank()) {
				return details.errorCode();
			}
		}
		return null;
	}

	/**
	 * Converts a failure of the SDK into the exception the storage contract asks for.
	 * @param action what was being done, for example {@code "list LTX files in
	 * 's3://bucket/db/0000/'"}
	 * @param failure the SDK failure
	 * @param bucket the bucket
	 * @param endpoint the endpoint description
	 * @return an {@link InterruptedIOException} when the thread was interrupted (its
	 * interrupt status set again), otherwise a classified {@link ReplicaException}
	 */
	static IOException toException(String action, SdkException failure, String bucket, String endpoint) {
		if (failure instanceof AbortedException || isInterruption(failure)) {
			Thread.currentThread().interrupt();
			InterruptedIOException interrupted = new InterruptedIOException(
					"Interrupted while trying to " + action + " (bucket '" + bucket + "', endpoint " + endpoint + ")");
			interrupted.initCause(failure);
			return interrupted;
		}
		boolean retryable = isRetryable(failure);
		StringBuilder message = new StringBuilder("Cannot ").append(action)
			.append(" (bucket '")
			.append(bucket)
			.append("', endpoint ")
			.append(endpoint)
			.append("): ")
			.append(describe(failure))
			.append(". ");
		message.append(advice(failure, bucket, retryable));
		return new ReplicaException(message.toString(), retryable, failure);
	}

	private static String describe(SdkException failure) {
		if (failure instanceof SdkServiceException service) {
			StringBuilder text = new StringBuilder("S3 answered HTTP ").append(service.statusCode());
			String code = errorCode(failure);
			if (code != null) {
				text.append(' ').append(code);
			}
			String detail = serviceMessage(failure);
			if (detail != null) {
				text.append(" (").append(detail).append(')');
			}
			if (service.requestId() != null) {
				text.append(", request id ").append(service.requestId());
			}
			return text.toString();
		}
		Throwable root = rootIoCause(failure);
		if (root != null) {
			return root.getClass().getSimpleName() + ((root.getMessage() != null) ? ": " + root.getMessage() : "");
		}
		return failure.getClass().getSimpleName() + ": " + failure.getMessage();
	}

	private static @Nullable String serviceMessage(SdkException failure) {
		if (failure instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
			String message = aws.awsErrorDetails().errorMessage();
			if (message != null && !message.isBlank()) {
				return message;
			}
		}
		return null;
	}

	private static String advice(SdkException failure, String bucket, boolean retryable) {
		String code = errorCode(failure);
		if (code != null) {
			switch (code) {
				case "NoSuchBucket":
					return "Create bucket '" + bucket + "', or point the replica URL at an existing bucket.";
				case "AccessDenied":
				case "AllAccessDisabled":
				case "AccountProblem":
					return "Grant the credentials s3:ListBucket on bucket '" + bucket + "' and s3:GetObject, "
							+ "s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on its objects.";
				case "InvalidAccessKeyId":
					return "The access key ID is unknown to this endpoint: check the configured credentials and "
							+ "that the endpoint is the one they belong to.";
				case "SignatureDoesNotMatch":
					return "The secret access key does not match the access key ID: check the configured "
							+ "credentials.";
				case "PermanentRedirect":
				case "AuthorizationHeaderMalformed":
				case "IllegalLocationConstraintException":
					return "Bucket '" + bucket + "' is in another region: configure the bucket's region.";
				case "InvalidBucketName":
					return "Fix the bucket name in the replica URL.";
				default:
					break;
			}
		}
		int status = statusCode(failure);
		if (status == 301 || status == 307) {
			return "Bucket '" + bucket + "' is in another region: configure the bucket's region.";
		}
		if (status == 403) {
			return "Check the credentials and their permissions on bucket '" + bucket + "'.";
		}
		if (retryable) {
			return (status == 0) ? "Check that the endpoint is reachable; the operation can be retried."
					: "This may be temporary; the operation can be retried.";
		}
		return "Retrying will not help until the cause is fixed.";
	}

	private static boolean hasIoCause(Throwable failure) {
		return rootIoCause(failure) != null;
	}

	private static @Nullable Throwable rootIoCause(Throwable failure) {
		Throwable found = null;
		int depth = 0;
		for (Throwable cause = failure; cause != null && depth < 20; cause = cause.getCause(), depth++) {
			if (cause instanceof IOException) {
				found = cause;
			}
		}
		return found;
	}

	private static boolean isInterruption(Throwable failure) {
		int depth = 0;
		for (Throwable cause = failure; cause != null && depth < 20; cause = cause.getCause(), depth++) {
			// A socket timeout is an InterruptedIOException too, but no interrupt
			if (cause instanceof InterruptedException
					|| (cause instanceof InterruptedIOException && !(cause instanceof SocketTimeoutException))) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Describes where a client sends its requests, for messages: the endpoint override
	 * without any user info, or AWS S3 and the region.
	 * @param endpointOverride the configured endpoint, if any
	 * @param region the configured region, if known
	 * @return for example {@code "http://127.0.0.1:9000"} or
	 * {@code "AWS S3 (region eu-west-1)"}
	 */
	static String describeEndpoint(@Nullable URI endpointOverride, @Nullable String region) {
		if (endpointOverride != null) {
			String scheme = endpointOverride.getScheme();
			String host = endpointOverride.getHost();
			if (scheme != null && host != null) {
				// Never echo user info, which could carry a credential
				int port = endpointOverride.getPort();
				String path = endpointOverride.getRawPath();
				return scheme.toLowerCase(Locale.ROOT) + "://" + host + ((port >= 0) ? ":" + port : "")
						+ ((path != null) ? path : "");
			}
			return "(unparseable endpoint)";
		}
		return "AWS S3 (region " + ((region != null) ? region : "from the default provider chain") + ")";
	}

}
