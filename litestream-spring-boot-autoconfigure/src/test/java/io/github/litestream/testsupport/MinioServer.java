package io.github.litestream.testsupport;

import java.net.URI;

import org.testcontainers.containers.MinIOContainer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * MinIO in a Testcontainers container, used by {@link S3ServerExtension} when a Docker
 * engine answers (our CI machines have none and use {@link S3ProxyServer}).
 */
final class MinioServer implements S3Server {

	private static final String IMAGE = "minio/minio:RELEASE.2023-09-04T19-57-37Z";

	private final MinIOContainer container;

	private final S3Client client;

	private MinioServer(MinIOContainer container) {
		this.container = container;
		this.client = clientBuilder().build();
	}

	static MinioServer start() {
		MinIOContainer container = new MinIOContainer(IMAGE);
		container.start();
		return new MinioServer(container);
	}

	@Override
	public URI endpoint() {
		return URI.create(this.container.getS3URL());
	}

	@Override
	public String region() {
		return "us-east-1";
	}

	@Override
	public String accessKey() {
		return this.container.getUserName();
	}

	@Override
	public String secretKey() {
		return this.container.getPassword();
	}

	@Override
	public String describe() {
		return "MinIO " + IMAGE + " (Testcontainers)";
	}

	@Override
	public S3Client client() {
		return this.client;
	}

	@Override
	public void close() {
		this.client.close();
		this.container.stop();
	}

}
