package io.github.litestream.testsupport;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import java.net.URI;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * An S3-compatible server for tests, shared by a whole test run (see
 * {@link S3ServerExtension}). Tests isolate themselves by creating a bucket of their own
 * with {@link #createBucket(String)}.
 * <p>
 * Everything a client needs is exposed, so the same test code runs whichever server is
 * behind it: the endpoint (path-style addressing), region and static credentials, as
 * Spring Cloud AWS properties or a Litestream configuration would carry them.
 */
public interface S3Server extends AutoCloseable {

	/** Numbers the buckets of a test run, which share one server. */
	AtomicInteger BUCKETS = new AtomicInteger();

	/**
	 * Returns the endpoint, on a loopback address.
	 * @return for example {@code http://127.0.0.1:43127}
	 */
	URI endpoint();

	/**
	 * Returns the region clients should sign for.
	 * @return the region id, for example {@code us-east-1}
	 */
	String region();

	/**
	 * Returns the access key ID the server accepts.
	 * @return the access key ID
	 */
	String accessKey();

	/**
	 * Returns the secret access key the server accepts.
	 * @return the secret
	 */
	String secretKey();

	/**
	 * Describes the server for messages, for example
	 * {@code "S3Proxy 4.0.0 (child JVM, filesystem-nio2)"}.
	 * @return the description
	 */
	String describe();

	/**
	 * Returns a shared client for the server, for tests to set up or inspect raw objects.
	 * Not to be closed by tests.
	 * @return the client
	 */
	S3Client client();

	/**
	 * Returns a builder preconfigured for this server (endpoint, path-style addressing,
	 * region and credentials), for tests that need a client of their own, for example
	 * with wrong credentials or without SDK retries. The caller closes what it builds.
	 * @return a new builder
	 */
	default S3ClientBuilder clientBuilder() {
		return S3Client.builder()
			.endpointOverride(endpoint())
			.forcePathStyle(true)
			.region(Region.of(region()))
			.credentialsProvider(
					StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey(), secretKey())));
	}

	/**
	 * Creates a new, empty bucket with a unique name.
	 * @param hint a readable part of the name, for example the test name
	 * @return the bucket name
	 */
	default String createBucket(String hint) {
		// Bucket names: 3 to 63 lower-case letters, digits and hyphens.
		String base = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
		if (base.length() > 40) {
			base = base.substring(0, 40).replaceAll("-+$", "");
		}
		String bucket = (base.isEmpty() ? "bucket" : base) + "-" + BUCKETS.incrementAndGet();
		client().createBucket((request) -> request.bucket(bucket));
		return bucket;
	}

	/**
	 * Stops the server and removes its data.
	 */
	@Override
	void close();

}
