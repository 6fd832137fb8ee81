package io.github.litestream.storage.s3;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

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
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An {@link S3Client} that passes the requests {@link S3ReplicaClient} makes to a real
 * client, after failing them as scripted (to provoke throttling, server errors and
 * connection resets deterministically) and letting a test see or change listings.
 */
final class ScriptedS3Client implements S3Client {

	private final S3Client delegate;

	private final Map<String, Deque<RuntimeException>> failures = new ConcurrentHashMap<>();

	private final Map<String, Deque<RuntimeException>> lostResponses = new ConcurrentHashMap<>();

	private volatile Consumer<ListObjectsV2Request> listObserver = (request) -> {
	};

	private volatile Consumer<GetObjectRequest> getObserver = (request) -> {
	};

	private volatile int pageSize;

	ScriptedS3Client(S3Client delegate) {
		this.delegate = delegate;
	}

	/**
	 * Makes the next calls of an API fail, one failure per call, in order.
	 */
	ScriptedS3Client fail(String apiName, RuntimeException... failures) {
		Deque<RuntimeException> queue = this.failures.computeIfAbsent(apiName, (key) -> new ArrayDeque<>());
		synchronized (queue) {
			for (RuntimeException failure : failures) {
				queue.add(failure);
			}
		}
		return this;
	}

	/**
	 * Makes the next call of an API reach the server and then fail, as when the response
	 * is lost on the way back.
	 */
	ScriptedS3Client loseResponse(String apiName, RuntimeException failure) {
		Deque<RuntimeException> queue = this.lostResponses.computeIfAbsent(apiName, (key) -> new ArrayDeque<>());
		synchronized (queue) {
			queue.add(failure);
		}
		return this;
	}

	/**
	 * Calls the observer with every {@code GetObject} request before it is sent (on the
	 * thread sending it); the observer may change the bucket or throw to fail the
	 * request.
	 */
	ScriptedS3Client onGet(Consumer<GetObjectRequest> observer) {
		this.getObserver = observer;
		return this;
	}

	ScriptedS3Client onList(Consumer<ListObjectsV2Request> observer) {
		this.listObserver = observer;
		return this;
	}

	/**
	 * Limits listings to a few keys per page, so that paging is exercised on a few
	 * objects.
	 */
	ScriptedS3Client pageSize(int keys) {
		this.pageSize = keys;
		return this;
	}

	private void maybeFail(String apiName) {
		failNext(this.failures, apiName);
	}

	private void maybeLoseResponse(String apiName) {
		failNext(this.lostResponses, apiName);
	}

	private static void failNext(Map<String, Deque<RuntimeException>> failures, String apiName) {
		Deque<RuntimeException> queue = failures.get(apiName);
		if (queue != null) {
			RuntimeException failure;
			synchronized (queue) {
				failure = queue.poll();
			}
			if (failure != null) {
				throw failure;
			}
		}
	}

	@Override
	public ListObjectsV2Response listObjectsV2(ListObjectsV2Request request) {
		maybeFail("ListObjectsV2");
		this.listObserver.accept(request);
		ListObjectsV2Request sent = (this.pageSize > 0) ? request.toBuilder().maxKeys(this.pageSize).build() : request;
		return this.delegate.listObjectsV2(sent);
	}

	@Override
	public HeadObjectResponse headObject(HeadObjectRequest request) {
		maybeFail("HeadObject");
		return this.delegate.headObject(request);
	}

	@Override
	public ResponseInputStream<GetObjectResponse> getObject(GetObjectRequest request) {
		maybeFail("GetObject");
		this.getObserver.accept(request);
		return this.delegate.getObject(request);
	}

	@Override
	public PutObjectResponse putObject(PutObjectRequest request, RequestBody body) {
		maybeFail("PutObject");
		return this.delegate.putObject(request, body);
	}

	@Override
	public CreateMultipartUploadResponse createMultipartUpload(CreateMultipartUploadRequest request) {
		maybeFail("CreateMultipartUpload");
		return this.delegate.createMultipartUpload(request);
	}

	@Override
	public UploadPartResponse uploadPart(UploadPartRequest request, RequestBody body) {
		maybeFail("UploadPart");
		return this.delegate.uploadPart(request, body);
	}

	@Override
	public CompleteMultipartUploadResponse completeMultipartUpload(CompleteMultipartUploadRequest request) {
		maybeFail("CompleteMultipartUpload");
		CompleteMultipartUploadResponse response = this.delegate.completeMultipartUpload(request);
		maybeLoseResponse("CompleteMultipartUpload");
		return response;
	}

	@Override
	public AbortMultipartUploadResponse abortMultipartUpload(AbortMultipartUploadRequest request) {
		maybeFail("AbortMultipartUpload");
		return this.delegate.abortMultipartUpload(request);
	}

	@Override
	public DeleteObjectsResponse deleteObjects(DeleteObjectsRequest request) {
		maybeFail("DeleteObjects");
		return this.delegate.deleteObjects(request);
	}

	@Override
	public ListMultipartUploadsResponse listMultipartUploads(ListMultipartUploadsRequest request) {
		maybeFail("ListMultipartUploads");
		return this.delegate.listMultipartUploads(request);
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
		// The delegate is shared
	}

}
