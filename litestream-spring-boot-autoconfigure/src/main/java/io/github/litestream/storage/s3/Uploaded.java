package io.github.litestream.storage.s3;

import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * A stored object: its size and the ETag S3 gave it.
 */
record Uploaded(long size, @Nullable String eTag) {

	/**
	 * Returns the ETag of a {@code PutObject} or {@code CompleteMultipartUpload}
	 * response.
	 */
	static @Nullable String eTagOf(SdkResponse response) {
		if (response instanceof PutObjectResponse put) {
			return put.eTag();
		}
		if (response instanceof CompleteMultipartUploadResponse complete) {
			return complete.eTag();
		}
		return null;
	}

}
