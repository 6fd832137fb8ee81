package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;

import io.github.litestream.storage.ReplicaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which SDK failures {@link S3Failures} calls retryable, and what their messages say.
 */
class S3FailuresTests {

	private static S3Exception s3Error(int status, String code) {
		AwsErrorDetails details = (code.isEmpty()) ? null
				: AwsErrorDetails.builder().errorCode(code).errorMessage("Scripted " + code).build();
		return (S3Exception) S3Exception.builder()
			.statusCode(status)
			.awsErrorDetails(details)
			.requestId("REQ1")
			.build();
	}

	@ParameterizedTest(name = "{0} {1} -> retryable {2}")
	@CsvSource({ "503, SlowDown, true", "429, TooManyRequests, true", "500, InternalError, true", "502, '', true",
			"504, '', true", "408, RequestTimeout, true", "400, RequestTimeout, true",
			"403, RequestTimeTooSkewed, true", "409, OperationAborted, true", "400, ExpiredToken, true",
			"404, NoSuchBucket, false", "403, AccessDenied, false", "403, InvalidAccessKeyId, false",
			"403, SignatureDoesNotMatch, false", "301, PermanentRedirect, false",
			"400, AuthorizationHeaderMalformed, false", "400, InvalidBucketName, false", "404, NoSuchKey, false",
			"404, '', false", "400, InvalidArgument, false", "403, '', false" })
	void serviceErrorsAreRetryableOnlyWhenWaitingCanHelp(int status, String code, boolean retryable) {
		assertThat(S3Failures.isRetryable(s3Error(status, code))).isEqualTo(retryable);
	}

	@Test
	void networkFailuresAndTimeoutsAreRetryable() {
		assertThat(S3Failures.isRetryable(SdkClientException.create("x", new ConnectException("Connection refused"))))
			.isTrue();
		assertThat(S3Failures.isRetryable(SdkClientException.create("x", new SocketException("Connection reset"))))
			.isTrue();
		assertThat(S3Failures.isRetryable(SdkClientException.create("x", new SocketTimeoutException("Read timed out"))))
			.isTrue();
		assertThat(S3Failures.isRetryable(SdkClientException.create("x", new UnknownHostException("s3.example"))))
			.isTrue();
		assertThat(S3Failures.isRetryable(ApiCallTimeoutException.create(1000))).isTrue();
		assertThat(S3Failures.isRetryable(ApiCallAttemptTimeoutException.create(1000))).isTrue();
	}

	@Test
	void misconfiguredClientsAndInterruptsAreNotRetryable() {
		assertThat(S3Failures.isRetryable(SdkClientException.create("Unable to load credentials from any provider")))
			.isFalse();
		assertThat(S3Failures.isRetryable(AbortedException.create("Thread was interrupted"))).isFalse();
	}

	@Test
	void messageNamesActionBucketEndpointCodeAndRequestIdAndTheFix() {
		IOException ex = S3Failures.toException("list LTX files in 's3://b/db/0000/'", s3Error(404, "NoSuchBucket"),
				"b", "http://127.0.0.1:9000");
		assertThat(ex).isInstanceOf(ReplicaException.class)
			.hasMessage("Cannot list LTX files in 's3://b/db/0000/' (bucket 'b', endpoint http://127.0.0.1:9000): "
					+ "S3 answered HTTP 404 NoSuchBucket (Scripted NoSuchBucket), request id REQ1. Create bucket 'b', "
					+ "or point the replica URL at an existing bucket.");
		assertThat(((ReplicaException) ex).retryable()).isFalse();
	}

	@Test
	void wrongRegionSaysToConfigureTheRegion() {
		IOException ex = S3Failures.toException("list", s3Error(301, "PermanentRedirect"), "b", "AWS S3 (region x)");
		assertThat(ex).hasMessageContaining("is in another region");
	}

	@Test
	void networkFailureMessageNamesTheRootCause() {
		IOException ex = S3Failures.toException("open",
				SdkClientException.create("Unable to execute HTTP request", new ConnectException("Connection refused")),
				"b", "http://127.0.0.1:1");
		assertThat(ex).hasMessageContaining("ConnectException: Connection refused")
			.hasMessageContaining("Check that the endpoint is reachable");
		assertThat(((ReplicaException) ex).retryable()).isTrue();
	}

	@Test
	void interruptBecomesAnInterruptedIoExceptionWithTheStatusSet() {
		try {
			SdkException aborted = AbortedException.create("Thread was interrupted");
			IOException ex = S3Failures.toException("list", aborted, "b", "e");
			assertThat(ex).isInstanceOf(InterruptedIOException.class).hasCause(aborted);
			assertThat(Thread.currentThread().isInterrupted()).isTrue();
		}
		finally {
			Thread.interrupted();
		}
	}

	@Test
	void endpointDescriptionsNeverShowUserInfo() {
		assertThat(S3Failures.describeEndpoint(URI.create("https://key:secret@minio.example:9000/base"), "r"))
			.isEqualTo("https://minio.example:9000/base");
		assertThat(S3Failures.describeEndpoint(URI.create("http://127.0.0.1:9000"), null))
			.isEqualTo("http://127.0.0.1:9000");
		assertThat(S3Failures.describeEndpoint(null, "eu-west-1")).isEqualTo("AWS S3 (region eu-west-1)");
	}

}
