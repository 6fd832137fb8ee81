/**
 * End-to-end tests of S3 replication against a real S3-compatible server, the official
 * Litestream and a fault-injecting TCP proxy.
 */
package io.github.litestream.s3e2e;
