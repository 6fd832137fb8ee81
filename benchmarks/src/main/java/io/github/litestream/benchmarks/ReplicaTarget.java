package io.github.litestream.benchmarks;

import java.nio.file.Path;

import io.github.litestream.storage.ReplicaClient;

/**
 * Where a replica lives: a directory or an S3 bucket prefix.
 */
interface ReplicaTarget {

	/** "file" or "S3Proxy". */
	String kind();

	/** A client for our engine. */
	ReplicaClient client();

	/** The {@code replica:} block of a Litestream config, indented by six spaces. */
	String litestreamYaml();

	/**
	 * The local directory in which level-0 files appear as files (for S3Proxy, inside its
	 * filesystem backend).
	 */
	Path level0Directory();

	/** The local directory holding the replica (for S3Proxy, inside its backend). */
	Path root();

}
