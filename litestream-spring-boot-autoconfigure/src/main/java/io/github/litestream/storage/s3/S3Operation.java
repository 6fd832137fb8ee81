package io.github.litestream.storage.s3;

/**
 * The kind of an S3 request, as S3 bills it and as the {@code operation} tag of the
 * replica metrics shows it.
 *
 * @see S3RequestEvent
 */
public enum S3Operation {

	/**
	 * Reads: {@code GetObject}, and {@code HeadObject}, which S3 bills as a GET-class
	 * request.
	 */
	GET,

	/**
	 * Writes: {@code PutObject} and the requests of a multipart upload
	 * ({@code CreateMultipartUpload}, {@code UploadPart},
	 * {@code CompleteMultipartUpload}).
	 */
	PUT,

	/**
	 * Listings: {@code ListObjectsV2} (one per page of up to 1000 keys) and
	 * {@code ListMultipartUploads}.
	 */
	LIST,

	/**
	 * Deletions: {@code DeleteObjects} (one per batch of up to 1000 keys) and
	 * {@code AbortMultipartUpload}.
	 */
	DELETE

}
