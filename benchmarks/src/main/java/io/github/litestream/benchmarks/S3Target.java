package io.github.litestream.benchmarks;

import java.net.URI;
import java.nio.file.Path;

import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;

/**
 * A replica in an S3Proxy bucket, reached at {@code endpoint} (S3Proxy itself or a
 * {@link CountingProxy} in front of it); {@code basedir} is S3Proxy's filesystem backend,
 * where objects appear as files.
 */
record S3Target(URI endpoint, String bucket, String prefix, Path basedir) implements ReplicaTarget {

	@Override
	public String kind() {
		return "S3Proxy";
	}

	@Override
	public ReplicaClient client() {
		return S3ReplicaClient.builder(S3Proxy.client(this.endpoint), this.bucket).prefix(this.prefix).build();
	}

	@Override
	public String litestreamYaml() {
		return "      type: s3\n      bucket: \"" + this.bucket + "\"\n      path: \"" + this.prefix + "\"\n"
				+ "      endpoint: \"" + this.endpoint + "\"\n      region: \"" + S3Proxy.REGION + "\"\n"
				+ "      force-path-style: true\n      access-key-id: \"" + S3Proxy.ACCESS_KEY + "\"\n"
				+ "      secret-access-key: \"" + S3Proxy.SECRET_KEY + "\"\n";
	}

	@Override
	public Path level0Directory() {
		return this.basedir.resolve(this.bucket).resolve(this.prefix).resolve("0000");
	}

	@Override
	public Path root() {
		return this.basedir.resolve(this.bucket).resolve(this.prefix);
	}

}
