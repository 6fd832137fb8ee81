package io.github.litestream.storage.s3;

import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.storage.ReplicaException;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Multipart uploads that send several parts at once: never more than the upload
 * concurrency, the object identical to the stream, and a failing part aborting the whole
 * upload.
 */
class S3MultipartUploadConcurrencyTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final int PART_SIZE = S3ReplicaClient.MIN_PART_SIZE;

	private static final Instant TIMESTAMP = Instant.parse("2026-01-02T03:04:05.678Z");

	private String bucket;

	@BeforeEach
	void createBucket() {
		this.bucket = s3.server().createBucket("concurrent-upload");
	}

	@Test
	void partsAreSentConcurrentlyButNeverMoreThanTheUploadConcurrency() throws Exception {
		ProbedS3Client probe = new ProbedS3Client(s3.server().client(), -1);
		S3ReplicaClient client = S3ReplicaClient.builder(probe, this.bucket)
			.prefix("db")
			.partSize(PART_SIZE)
			.uploadConcurrency(3)
			.build();
		long size = 7L * PART_SIZE + 321;
		MessageDigest written = MessageDigest.getInstance("SHA-256");
		client.writeFile(9, 1, 5, TIMESTAMP, new DigestInputStream(GeneratedStream.of(size, 11), written));
		assertThat(probe.secondPartStartedWhileFirstWasSent).as("part 2 was sent while part 1 was").isTrue();
		assertThat(probe.maxInFlight.get()).isBetween(2, 3);
		MessageDigest read = MessageDigest.getInstance("SHA-256");
		try (InputStream in = new DigestInputStream(client.openFile(9, 1, 5), read)) {
			assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(size);
		}
		assertThat(read.digest()).isEqualTo(written.digest());
	}

	@Test
	void uploadConcurrencyOfOneSendsOnePartAtATime() throws Exception {
		ProbedS3Client probe = new ProbedS3Client(s3.server().client(), -1);
		probe.waitForSecondPart = false;
		S3ReplicaClient client = S3ReplicaClient.builder(probe, this.bucket)
			.prefix("db")
			.partSize(PART_SIZE)
			.uploadConcurrency(1)
			.build();
		client.writeFile(9, 1, 5, TIMESTAMP, GeneratedStream.of(3L * PART_SIZE + 1, 12));
		assertThat(probe.maxInFlight.get()).isEqualTo(1);
	}

	@Test
	void failingPartOfAConcurrentUploadAbortsItAndLeavesNothing() {
		ProbedS3Client probe = new ProbedS3Client(s3.server().client(), 4);
		probe.waitForSecondPart = false;
		S3ReplicaClient client = S3ReplicaClient.builder(probe, this.bucket)
			.prefix("db")
			.partSize(PART_SIZE)
			.uploadConcurrency(2)
			.retryPolicy(S3RetryPolicy.none())
			.build();
		assertThatExceptionOfType(ReplicaException.class)
			.isThrownBy(() -> client.writeFile(9, 1, 5, TIMESTAMP, GeneratedStream.of(6L * PART_SIZE, 13)))
			.withMessageContaining("part 4")
			.satisfies((ex) -> assertThat(ex.retryable()).isFalse());
		assertThat(probe.aborted).isTrue();
		assertThat(s3.server().client().listObjectsV2((request) -> request.bucket(this.bucket)).contents()).isEmpty();
		assertThat(s3.server().client().listMultipartUploads((request) -> request.bucket(this.bucket)).uploads())
			.isEmpty();
	}

	/**
	 * Passes multipart requests on to a real client, counting the parts in flight; part 1
	 * waits (a bounded time) until part 2 has started, which only a concurrent upload
	 * achieves, and one part can be made to fail with AccessDenied.
	 */
	private static final class ProbedS3Client implements S3Client {

		private final S3Client delegate;

		private final int failingPart;

		private final AtomicInteger inFlight = new AtomicInteger();

		private final AtomicInteger maxInFlight = new AtomicInteger();

		private final CountDownLatch secondPartStarted = new CountDownLatch(1);

		private volatile boolean waitForSecondPart = true;

		private volatile boolean secondPartStartedWhileFirstWasSent;

		private volatile boolean aborted;

		ProbedS3Client(S3Client delegate, int failingPart) {
			this.delegate = delegate;
			this.failingPart = failingPart;
		}

		@Override
		public CreateMultipartUploadResponse createMultipartUpload(CreateMultipartUploadRequest request) {
			return this.delegate.createMultipartUpload(request);
		}

		@Override
		public UploadPartResponse uploadPart(UploadPartRequest request, RequestBody body) {
			int now = this.inFlight.incrementAndGet();
			this.maxInFlight.accumulateAndGet(now, Math::max);
			try {
				if (request.partNumber() == 2) {
					this.secondPartStarted.countDown();
				}
				if (request.partNumber() == 1 && this.waitForSecondPart) {
					try {
						this.secondPartStartedWhileFirstWasSent = this.secondPartStarted.await(30, TimeUnit.SECONDS);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
				if (request.partNumber() == this.failingPart) {
					throw (S3Exception) S3Exception.builder()
						.statusCode(403)
						.message("Access Denied")
						.awsErrorDetails(AwsErrorDetails.builder()
							.errorCode("AccessDenied")
							.errorMessage("Access Denied")
							.build())
						.build();
				}
				return this.delegate.uploadPart(request, body);
			}
			finally {
				this.inFlight.decrementAndGet();
			}
		}

		@Override
		public CompleteMultipartUploadResponse completeMultipartUpload(CompleteMultipartUploadRequest request) {
			return this.delegate.completeMultipartUpload(request);
		}

		@Override
		public AbortMultipartUploadResponse abortMultipartUpload(AbortMultipartUploadRequest request) {
			this.aborted = true;
			return this.delegate.abortMultipartUpload(request);
		}

		@Override
		public ResponseInputStream<GetObjectResponse> getObject(GetObjectRequest request) {
			return this.delegate.getObject(request);
		}

		@Override
		public S3ServiceClientConfiguration serviceClientConfiguration() {
			return this.delegate.serviceClientConfiguration();
		}

		@Override
		public String serviceName() {
			return this.delegate.serviceName();
		}

		@Override
		public void close() {
		}

	}

}
