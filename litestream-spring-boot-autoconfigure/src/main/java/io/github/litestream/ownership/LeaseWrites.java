package io.github.litestream.ownership;

import java.io.IOException;
import java.util.Arrays;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LeaseConflictException;
import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine's reads and conditional writes of a replica's lease object: taking it
 * ({@link ReplicaClient#createLease}, or {@link ReplicaClient#replaceLease} over the
 * version read), renewing it and releasing it. Apart from {@link ReplicaLease}'s loop,
 * which decides when to do each, because these keep the store-level facts that hold
 * whatever the loop's state: a write whose answer was lost may still have arrived (its
 * bytes are ours if the store holds them), and a contender's handover request changes the
 * version without taking the lease, so a conflict is read again before it is believed.
 * Used by the lease thread, and by {@link ReplicaLease#stop()} after that thread ended.
 */
final class LeaseWrites {

	private static final Logger logger = LoggerFactory.getLogger(LeaseWrites.class);

	private final String database;

	private final String replica;

	private final ReplicaClient client;

	private final String instance;

	/** Bytes of a write whose answer was lost: if the store holds them, they are ours. */
	private byte @Nullable [] unconfirmed;

	/** When that write was sent, on the monotonic clock. */
	private long unconfirmedSentNanos;

	LeaseWrites(String database, String replica, ReplicaClient client, String instance) {
		this.database = database;
		this.replica = replica;
		this.client = client;
		this.instance = instance;
	}

	/**
	 * Reads the lease object.
	 * @return it, or {@code null} when there is none
	 * @throws IOException if it cannot be read
	 */
	@Nullable LeaseObject read() throws IOException {
		return this.client.readLease();
	}

	/**
	 * Whether the lease object read now holds the bytes of this engine's last take whose
	 * answer was lost: the write did arrive. Forgets that write otherwise.
	 * @param stored the lease object read
	 * @return whether the lost write arrived (see {@link #unconfirmed()} and
	 * {@link #unconfirmedSentNanos()})
	 */
	boolean lostWriteArrived(@Nullable LeaseObject stored) {
		byte[] content = this.unconfirmed;
		if (stored != null && content != null && Arrays.equals(stored.content(), content)) {
			return true;
		}
		this.unconfirmed = null;
		return false;
	}

	/**
	 * Returns the lease this engine wrote in the take whose answer was lost.
	 * @return the lease
	 * @throws IllegalStateException if there is none
	 */
	LeaseRecord unconfirmed() {
		byte[] content = this.unconfirmed;
		if (content == null) {
			throw new IllegalStateException("No lease write of replica '" + this.replica + "' awaits confirmation");
		}
		return LeaseRecord.parse(content);
	}

	/**
	 * Returns when the take whose answer was lost was sent.
	 * @return the time on the monotonic clock
	 */
	long unconfirmedSentNanos() {
		return this.unconfirmedSentNanos;
	}

	/**
	 * Writes this engine's lease: created when there is no lease object, otherwise over
	 * the version read. A write that fails for another reason than a conflict is
	 * remembered: its answer may be lost while the write arrived.
	 * @param stored the lease object read, or {@code null}
	 * @param mine the lease to write
	 * @param sentNanos when the write is sent, on the monotonic clock
	 * @return the version written
	 * @throws LeaseConflictException if another write came first
	 * @throws IOException if the write failed
	 */
	String take(@Nullable LeaseObject stored, LeaseRecord mine, long sentNanos) throws IOException {
		byte[] content = mine.encode();
		try {
			return (stored == null) ? this.client.createLease(content)
					: this.client.replaceLease(content, stored.version());
		}
		catch (LeaseConflictException ex) {
			throw ex;
		}
		catch (IOException | RuntimeException ex) {
			this.unconfirmed = content;
			this.unconfirmedSentNanos = sentNanos;
			throw ex;
		}
	}

	/**
	 * Forgets a lost write: this engine holds the lease.
	 */
	void confirmed() {
		this.unconfirmed = null;
	}

	/**
	 * Replaces this engine's lease with a renewed one.
	 * @param renewed the renewed lease
	 * @param expected the version this engine wrote last
	 * @return the version written
	 * @throws LeaseConflictException if the lease object changed since
	 * @throws IOException if the write failed
	 */
	String renew(LeaseRecord renewed, String expected) throws IOException {
		return this.client.replaceLease(renewed.encode(), expected);
	}

	/**
	 * Whether a lease read from the store is still this engine's, at the generation it
	 * holds.
	 * @param current the lease read, or {@code null}
	 * @param generation the generation this engine holds
	 * @return whether it is
	 */
	boolean ours(@Nullable LeaseRecord current, long generation) {
		return current != null && current.generation() == generation && this.instance.equals(current.instance());
	}

	/**
	 * Writes this engine's lease as released (expired, generation kept, with the final
	 * TXID), so a successor need not wait for it to expire. A contender's request
	 * ({@code requested_by}) changes the version without taking the lease: the lease is
	 * read again then, and what is stored released if it is still ours.
	 * @param mine the lease this engine holds
	 * @param expected the version it wrote last
	 * @param finalTxid the TXID every replica holds, or {@code null}
	 * @return the released lease, or {@code null} when it was not released (taken over,
	 * or it expires by itself)
	 */
	@Nullable LeaseRecord release(LeaseRecord mine, String expected, @Nullable Long finalTxid) {
		for (int attempt = 0; attempt < 3; attempt++) {
			LeaseRecord released = mine.withExpiry(LeaseRecord.RELEASED).withFinalTxid(finalTxid);
			try {
				this.client.replaceLease(released.encode(), expected);
				logger.info("Database '{}' released the lease of replica '{}' (generation {}{})", this.database,
						this.replica, mine.generation(),
						(finalTxid != null) ? ", final TXID " + LtxFileName.formatTxid(finalTxid) : "");
				return released;
			}
			catch (LeaseConflictException ex) {
				LeaseObject stored;
				try {
					stored = this.client.readLease();
				}
				catch (IOException | RuntimeException readFailed) {
					stored = null;
				}
				LeaseRecord current = (stored != null) ? LeaseRecord.parseOrNull(stored) : null;
				if (stored == null || current == null || !ours(current, mine.generation())) {
					logger.debug("Lease of replica '{}' of database '{}' was taken over before it was released",
							this.replica, this.database);
					return null;
				}
				mine = current;
				expected = stored.version();
			}
			catch (IOException | RuntimeException ex) {
				logger.warn(
						"Could not release the lease of replica '{}' of database '{}'; it expires by itself at {}: {}",
						this.replica, this.database, mine.expiresAt(), ex.getMessage());
				return null;
			}
		}
		logger.warn("Could not release the lease of replica '{}' of database '{}' (it kept changing); it expires by "
				+ "itself at {}", this.replica, this.database, mine.expiresAt());
		return null;
	}

}
