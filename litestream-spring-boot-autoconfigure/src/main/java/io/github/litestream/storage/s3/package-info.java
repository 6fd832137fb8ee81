/**
 * A ReplicaClient that keeps LTX files in an S3 bucket through the AWS SDK v2, laid out
 * as Litestream v0.5 does. Uses the {@code storage} SPI, {@code ltx} file names and the
 * AWS SDK only.
 * <p>
 * The public types are the client and its settings: {@link S3ReplicaClient}, the façade
 * that implements the SPI and wires the parts below; {@link S3RetryPolicy},
 * {@link S3Encryption}, {@link S3ProviderProfile}; {@link S3RequestListener},
 * {@link S3RequestEvent} and {@link S3Operation} for observing requests. The rest is
 * package-private, one class per concern:
 * <ul>
 * <li>{@code S3Requests}: the bucket, the prefix and the keys of the layout; makes every
 * request, retries it by the policy and reports each attempt to the listener.</li>
 * <li>{@code S3Failures}: the classification of failures: retryable or not, a refused
 * condition ({@code 412}, {@code 409}), and the message that names bucket, endpoint and
 * what to do.</li>
 * <li>{@code S3Writes}: {@code PutObject} of LTX files, conditional when the file must
 * not be replaced ({@code If-None-Match: *}), and the lease object ({@code If-None-Match}
 * to create, {@code If-Match} to replace).</li>
 * <li>{@code S3MultipartUpload}: files larger than one part, sent a bounded number of
 * parts at a time, completed or aborted, and the leftovers of a crash aborted;
 * {@code PartReader} cuts the caller's stream into parts, {@code Uploaded} is what a
 * write stored.</li>
 * <li>{@code S3RangedDownload}: {@code GetObject} streams, and downloads in part-size
 * byte ranges fetched in parallel, pinned to one version by its ETag; {@code RangedParts}
 * computes the ranges.</li>
 * <li>{@code PartThreads}: the pool of one upload or download, which no thread
 * outlives.</li>
 * <li>{@code S3Listing}: listings with the exact timestamp of each file
 * ({@code TimestampCache}, {@code HeadObject} in parallel, {@code S3Timestamps} for the
 * metadata format), and deletes.</li>
 * </ul>
 */
@NullMarked
package io.github.litestream.storage.s3;

import org.jspecify.annotations.NullMarked;
