package io.github.litestream.benchmarks;

import java.nio.file.Path;

import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;

/**
 * A file replica: {@code <root>/ltx/<level>/}.
 */
record FileTarget(Path root) implements ReplicaTarget {

	@Override
	public String kind() {
		return "file";
	}

	@Override
	public ReplicaClient client() {
		return new FileReplicaClient(this.root);
	}

	@Override
	public String litestreamYaml() {
		return "      type: file\n      path: \"" + this.root.toAbsolutePath() + "\"\n";
	}

	@Override
	public Path level0Directory() {
		return this.root.resolve("ltx").resolve("0");
	}

}
