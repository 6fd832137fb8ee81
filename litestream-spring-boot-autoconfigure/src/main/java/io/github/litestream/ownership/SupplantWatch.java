package io.github.litestream.ownership;

import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices, once, that another instance held a replica's lease after this engine did: from
 * then on the database here is no longer the newest state of the replica, whatever the
 * lease does next. Apart from {@link ReplicaLease} because it outlives any one holding:
 * it compares every lease the loop reads with the generation this engine last held.
 */
final class SupplantWatch {

	private static final Logger logger = LoggerFactory.getLogger(SupplantWatch.class);

	private final String database;

	private final String replica;

	private final String instance;

	/** The generation this engine last held, 0 before it held the lease. */
	private volatile long heldGeneration;

	/** Set once another instance held the lease after this engine did. */
	private volatile @Nullable String supplantedBy;

	/** Told once when another instance holds the lease after this engine did. */
	private volatile @Nullable Consumer<String> handler;

	SupplantWatch(String database, String replica, String instance) {
		this.database = database;
		this.replica = replica;
		this.instance = instance;
	}

	/**
	 * Records that this engine holds the lease at a generation.
	 * @param generation the generation
	 */
	void held(long generation) {
		this.heldGeneration = generation;
	}

	/**
	 * Sets what happens when another instance turns out to hold (or to have held) the
	 * lease after this engine held it.
	 * @param handler receives the other holder ({@code host:pid})
	 */
	void onSupplanted(Consumer<String> handler) {
		this.handler = handler;
	}

	/**
	 * Returns the other instance that held the lease after this engine did, if any.
	 * @return its owner ({@code host:pid}), or {@code null}
	 */
	@Nullable String supplantedBy() {
		return this.supplantedBy;
	}

	/**
	 * Checks a lease read from the replica: if another instance holds it at a later
	 * generation than this engine held, logs it and tells the handler, the first time.
	 * @param other the lease read, or {@code null} when there is none or it is not a
	 * lease
	 */
	void seen(@Nullable LeaseRecord other) {
		if (other == null || this.heldGeneration == 0 || this.supplantedBy != null
				|| this.instance.equals(other.instance()) || other.generation() <= this.heldGeneration) {
			return;
		}
		String holder = String.valueOf(other.owner());
		this.supplantedBy = holder;
		logger.error("Another instance ({}) took the lease of replica '{}' of database '{}' (generation {}) after this "
				+ "one held it (generation {}): it writes the replica now, and this database is no longer its "
				+ "newest state", holder, this.replica, this.database, other.generation(), this.heldGeneration);
		Consumer<String> handler = this.handler;
		if (handler != null) {
			handler.accept(holder);
		}
	}

}
