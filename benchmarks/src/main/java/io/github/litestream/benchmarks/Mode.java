package io.github.litestream.benchmarks;

/**
 * The configurations under test.
 */
enum Mode {

	/** No replication. */
	NONE("no replication"),

	/** This project's engine, in the writer's JVM (as the starter runs it). */
	OURS("litestream-spring-boot"),

	/** The official Litestream binary as a sidecar process. */
	LITESTREAM("Litestream");

	final String label;

	Mode(String label) {
		this.label = label;
	}

}
