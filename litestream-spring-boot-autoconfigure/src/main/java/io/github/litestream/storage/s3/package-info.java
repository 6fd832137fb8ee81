/**
 * A ReplicaClient that keeps LTX files in an S3 bucket through the AWS SDK v2, laid out
 * as Litestream v0.5 does.
 */
@NullMarked
package io.github.litestream.storage.s3;

import org.jspecify.annotations.NullMarked;
