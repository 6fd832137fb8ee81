package io.github.litestream.ownership;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Consumer;

import io.github.litestream.storage.LeaseConflictException;
import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handover-request protocol of one replica's lease (DESIGN 4.15), both sides of it,
 * kept apart from {@link ReplicaLease}'s acquire-and-renew loop because it changes for a
 * different reason: the lease decides who holds the replica, this decides how a starting
 * instance asks the holder to let go.
 * <p>
 * A contender writes its identity into the live holder's lease as {@code requested_by}
 * (with {@code If-Match}, so the holder's renewal keeps it), refreshes it while it waits,
 * and takes it out again if it gives up, so that the holder never hands over to an
 * instance that is gone. The holder finds the request at its next renewal and passes it
 * to its handler once; after a handover was declined it waits a TTL before passing it on
 * again, because each attempt pauses the application's connections.
 * <p>
 * Thread-safety: the contender's flag is set by the thread that awaits the lease and read
 * by the lease thread; the holder's fields are written on the lease thread and by
 * {@link #declined()} from the thread that gave up a handover. Each is volatile and
 * changes on its own.
 */
final class HandoverRequests {

	private static final Logger logger = LoggerFactory.getLogger(HandoverRequests.class);

	private final String database;

	private final String replica;

	private final ReplicaClient client;

	private final LeaseConfig config;

	private final Clock clock;

	/** This engine as a requester: {@code host:pid/instance}. */
	private final String requester;

	/**
	 * A contender: whether to ask a live holder to hand over (until it holds the lease).
	 */
	private volatile boolean asking;

	/** A holder: told the requester of a handover, once per request. */
	private volatile @Nullable Consumer<String> handler;

	/** A holder: the requester whose request was passed to the handler. */
	private volatile @Nullable String announced;

	/** A holder: no handover attempt before this time, after one was declined. */
	private volatile long retryNanos = System.nanoTime();

	HandoverRequests(String database, String replica, ReplicaClient client, LeaseConfig config, Clock clock,
			ReplicaLease.Identity identity) {
		this.database = database;
		this.replica = replica;
		this.client = client;
		this.config = config;
		this.clock = clock;
		this.requester = identity.owner() + "/" + identity.instance();
	}

	// ---------------------------------------------------------------- contender

	/**
	 * Sets whether this engine, while it waits for the lease, asks the holder to hand
	 * over. Only a starting instance asks: one that runs already serves its own state.
	 * @param asking whether to ask
	 */
	void asking(boolean asking) {
		this.asking = asking;
	}

	/**
	 * Whether this engine asks the holder to hand over while it waits for the lease.
	 * @return whether it asks
	 */
	boolean asking() {
		return this.asking;
	}

	/**
	 * Writes this engine's identity into a live holder's lease as {@code requested_by}
	 * (with {@code If-Match}, so the holder's renewal keeps it), unless a fresh request
	 * of this engine is in it already.
	 * @param holder the holder's lease as read
	 * @param version the version it was read at
	 * @return the version of the lease object written, or {@code null} when nothing was
	 * written (the request is in it and fresh)
	 * @throws LeaseConflictException if the holder renewed meanwhile (read again soon)
	 * @throws IOException if the lease cannot be written
	 */
	@Nullable String request(LeaseRecord holder, String version) throws IOException {
		Instant now = this.clock.instant();
		Instant asked = holder.requestedAt();
		boolean fresh = asked != null && asked.plus(this.config.ttl().dividedBy(3)).isAfter(now);
		if (this.requester.equals(holder.requestedBy()) && fresh) {
			return null;
		}
		String written = this.client.replaceLease(holder.withRequest(this.requester, now).encode(), version);
		if (!this.requester.equals(holder.requestedBy())) {
			logger.info("Database '{}' asked {} to hand over the lease of replica '{}' (generation {})", this.database,
					holder.owner(), this.replica, holder.generation());
		}
		return written;
	}

	/**
	 * Takes this engine's handover request out of the holder's lease, so the holder does
	 * not hand over to an instance that gave up. Best effort: a request left behind goes
	 * stale after the TTL.
	 */
	void withdraw() {
		// The holder renews meanwhile (a new version): read again and retry, so that it
		// never hands over to an instance that gave up
		for (int attempt = 0; attempt < 5; attempt++) {
			try {
				LeaseObject stored = this.client.readLease();
				if (stored == null) {
					return;
				}
				LeaseRecord current = LeaseRecord.parse(stored.content());
				if (!this.requester.equals(current.requestedBy())) {
					return;
				}
				this.client.replaceLease(current.withRequest(null, null).encode(), stored.version());
				return;
			}
			catch (LeaseConflictException ex) {
				// Renewed between the read and the write: again
			}
			catch (IOException | RuntimeException ex) {
				logger.debug("Could not withdraw the handover request from replica '{}' of database '{}': {}",
						this.replica, this.database, ex.getMessage());
				return;
			}
		}
	}

	// ---------------------------------------------------------------- holder

	/**
	 * Whether the lease object still carries a handover request of {@code requester}: a
	 * contender that gave up takes its request out, and must not be handed the database.
	 * @param requester the requester ({@code host:pid/instance})
	 * @return whether its request is in the lease
	 * @throws IOException if the lease cannot be read
	 */
	boolean requestedBy(String requester) throws IOException {
		LeaseObject stored = this.client.readLease();
		LeaseRecord current = (stored != null) ? LeaseRecord.parseOrNull(stored) : null;
		return current != null && requester.equals(current.requestedBy());
	}

	/**
	 * Sets what a holder does when a contender asks for the lease.
	 * @param handler receives the requester ({@code host:pid/instance})
	 */
	void onRequested(Consumer<String> handler) {
		this.handler = handler;
	}

	/**
	 * Lets a renewal pass a pending request on again, a TTL after a handover could not be
	 * completed.
	 */
	void declined() {
		this.retryNanos = System.nanoTime() + this.config.ttl().toNanos();
		this.announced = null;
	}

	/**
	 * Passes a contender's request in the lease just renewed to the handler, once: not a
	 * stale request (its requester gave up or died), nor one declined less than a TTL
	 * ago.
	 * @param renewed the lease as this engine renewed it
	 */
	void announce(LeaseRecord renewed) {
		String requester = renewed.requestedBy();
		Instant asked = renewed.requestedAt();
		if (requester == null || asked == null || requester.equals(this.announced)) {
			return;
		}
		if (!asked.plus(this.config.ttl()).isAfter(this.clock.instant()) || System.nanoTime() - this.retryNanos < 0) {
			return;
		}
		this.announced = requester;
		Consumer<String> handler = this.handler;
		if (handler == null) {
			logger.warn("{} asks for the lease of replica '{}' of database '{}'; this engine cannot hand over, so it "
					+ "keeps the lease until it stops", requester, this.replica, this.database);
			return;
		}
		logger.info("{} asks for the lease of replica '{}' of database '{}': handing the database over", requester,
				this.replica, this.database);
		handler.accept(requester);
	}

}
