package io.github.litestream.benchmarks;

/**
 * One of the three configurations a scenario compares.
 */
interface Replication extends AutoCloseable {

	/** Called after every commit of the workload. */
	default void afterCommit() {
	}

	/** Whether writer connections must set {@code wal_autocheckpoint=0}. */
	default boolean ownsCheckpoints() {
		return false;
	}

	/** Process id of a sidecar, or -1. */
	default long sidecarPid() {
		return -1;
	}

	@Override
	void close() throws Exception;

	/** No replication at all. */
	Replication NONE = () -> {
	};

}
