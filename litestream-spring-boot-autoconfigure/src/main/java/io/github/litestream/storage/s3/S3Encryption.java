package io.github.litestream.storage.s3;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * The server-side encryption of the objects an {@link S3ReplicaClient} writes: the
 * bucket's default ({@link #NONE}), a KMS key ({@link #kms(String)}, SSE-KMS) or a key of
 * the customer's ({@link #customerKey(byte[], String)}, SSE-C).
 * <p>
 * With SSE-KMS every write names the key; reads need nothing more than the permission to
 * use it. With SSE-C S3 keeps no key: every write and every read ({@code GetObject},
 * ranged or not, {@code HeadObject}) and every part of a multipart upload sends the key,
 * and an object cannot be read without it. S3 refuses SSE-C over plain HTTP.
 * <p>
 * The key never appears in {@link #toString()}; the AWS SDK redacts it from its request
 * descriptions too.
 */
public final class S3Encryption {

	/**
	 * No encryption header: the bucket's default encryption applies.
	 */
	public static final S3Encryption NONE = new S3Encryption(null, null, null, null);

	/**
	 * The SSE-C algorithm S3 supports, and the default.
	 */
	public static final String AES256 = "AES256";

	private final @Nullable String kmsKeyId;

	private final @Nullable String customerAlgorithm;

	private final @Nullable String customerKey;

	private final @Nullable String customerKeyMd5;

	private S3Encryption(@Nullable String kmsKeyId, @Nullable String customerAlgorithm, @Nullable String customerKey,
			@Nullable String customerKeyMd5) {
		this.kmsKeyId = kmsKeyId;
		this.customerAlgorithm = customerAlgorithm;
		this.customerKey = customerKey;
		this.customerKeyMd5 = customerKeyMd5;
	}

	/**
	 * SSE-KMS with a key.
	 * @param keyId the KMS key ID, ARN or alias ({@code alias/name})
	 * @return the encryption
	 */
	public static S3Encryption kms(String keyId) {
		Objects.requireNonNull(keyId, "keyId");
		if (keyId.isBlank()) {
			throw new IllegalArgumentException("SSE-KMS key ID must not be blank");
		}
		return new S3Encryption(keyId.strip(), null, null, null);
	}

	/**
	 * SSE-C with a key of the customer's.
	 * @param key the key; 32 bytes (256 bits) for {@value #AES256}; copied
	 * @param algorithm the algorithm, {@value #AES256}
	 * @return the encryption
	 * @throws IllegalArgumentException if the algorithm is not {@value #AES256} or the
	 * key not 32 bytes long (the message never shows the key)
	 */
	public static S3Encryption customerKey(byte[] key, String algorithm) {
		Objects.requireNonNull(key, "key");
		Objects.requireNonNull(algorithm, "algorithm");
		if (!AES256.equals(algorithm)) {
			throw new IllegalArgumentException(
					"SSE-C algorithm '" + algorithm + "' is not supported: S3 supports '" + AES256 + "' only");
		}
		if (key.length != 32) {
			throw new IllegalArgumentException(
					"SSE-C key must be 256 bits (32 bytes) for " + AES256 + ", got " + key.length + " bytes");
		}
		try {
			byte[] md5 = MessageDigest.getInstance("MD5").digest(key);
			Base64.Encoder base64 = Base64.getEncoder();
			return new S3Encryption(null, algorithm, base64.encodeToString(key), base64.encodeToString(md5));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("MD5 is not available", ex);
		}
		finally {
			Arrays.fill(key, (byte) 0);
		}
	}

	/**
	 * Returns whether every read must send the customer key (SSE-C).
	 * @return whether this is SSE-C
	 */
	public boolean isCustomerKey() {
		return this.customerKey != null;
	}

	/**
	 * Returns the KMS key of SSE-KMS.
	 * @return the key ID, or {@code null} unless this is SSE-KMS
	 */
	public @Nullable String kmsKeyId() {
		return this.kmsKeyId;
	}

	PutObjectRequest.Builder onPut(PutObjectRequest.Builder request) {
		if (this.kmsKeyId != null) {
			request.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(this.kmsKeyId);
		}
		if (this.customerKey != null) {
			request.sseCustomerAlgorithm(this.customerAlgorithm)
				.sseCustomerKey(this.customerKey)
				.sseCustomerKeyMD5(this.customerKeyMd5);
		}
		return request;
	}

	CreateMultipartUploadRequest.Builder onCreateMultipartUpload(CreateMultipartUploadRequest.Builder request) {
		if (this.kmsKeyId != null) {
			request.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(this.kmsKeyId);
		}
		if (this.customerKey != null) {
			request.sseCustomerAlgorithm(this.customerAlgorithm)
				.sseCustomerKey(this.customerKey)
				.sseCustomerKeyMD5(this.customerKeyMd5);
		}
		return request;
	}

	UploadPartRequest.Builder onUploadPart(UploadPartRequest.Builder request) {
		if (this.customerKey != null) {
			request.sseCustomerAlgorithm(this.customerAlgorithm)
				.sseCustomerKey(this.customerKey)
				.sseCustomerKeyMD5(this.customerKeyMd5);
		}
		return request;
	}

	CompleteMultipartUploadRequest.Builder onCompleteMultipartUpload(CompleteMultipartUploadRequest.Builder request) {
		if (this.customerKey != null) {
			request.sseCustomerAlgorithm(this.customerAlgorithm)
				.sseCustomerKey(this.customerKey)
				.sseCustomerKeyMD5(this.customerKeyMd5);
		}
		return request;
	}

	GetObjectRequest.Builder onRead(GetObjectRequest.Builder request) {
		if (this.customerKey != null) {
			request.sseCustomerAlgorithm(this.customerAlgorithm)
				.sseCustomerKey(this.customerKey)
				.sseCustomerKeyMD5(this.customerKeyMd5);
		}
		return request;
	}

	HeadObjectRequest.Builder onRead(HeadObjectRequest.Builder request) {
		if (this.customerKey != null) {
			request.sseCustomerAlgorithm(this.customerAlgorithm)
				.sseCustomerKey(this.customerKey)
				.sseCustomerKeyMD5(this.customerKeyMd5);
		}
		return request;
	}

	/**
	 * Describes the encryption without its key.
	 * @return for example {@code "SSE-C (AES256)"} or {@code "SSE-KMS (key alias/x)"}
	 */
	@Override
	public String toString() {
		if (this.customerKey != null) {
			return "SSE-C (" + this.customerAlgorithm + ")";
		}
		if (this.kmsKeyId != null) {
			return "SSE-KMS (key " + this.kmsKeyId + ")";
		}
		return "bucket default encryption";
	}

}
