package io.github.litestream.benchmarks;

import java.nio.file.Path;

/**
 * Replica targets written as one command-line word, for child JVMs.
 */
final class Targets {

	private Targets() {
	}

	static String format(ReplicaTarget target) {
		if (target instanceof FileTarget file) {
			return "file:" + file.root().toAbsolutePath();
		}
		if (target instanceof S3Target s3) {
			return "s3:" + s3.endpoint() + "|" + s3.bucket() + "|" + s3.prefix() + "|" + s3.basedir().toAbsolutePath();
		}
		throw new IllegalArgumentException(String.valueOf(target));
	}

	static ReplicaTarget parse(String word) {
		if (word.startsWith("file:")) {
			return new FileTarget(Path.of(word.substring(5)));
		}
		if (word.startsWith("s3:")) {
			String[] parts = word.substring(3).split("\\|");
			return new S3Target(java.net.URI.create(parts[0]), parts[1], parts[2], Path.of(parts[3]));
		}
		throw new IllegalArgumentException(word);
	}

}
