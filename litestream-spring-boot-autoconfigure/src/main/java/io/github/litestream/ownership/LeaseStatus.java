package io.github.litestream.ownership;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A point-in-time view of the lease of one replica, as this engine sees it.
 *
 * @param state {@code DISABLED} (no lease is used), {@code WAITING} (another process
 * holds it, or it was not acquired yet: nothing is written), {@code HELD} (this engine
 * writes), {@code FENCED} (held, but not renewed in time: nothing is written until it is
 * taken again), {@code CONFLICT} (a different file was met under a name this engine was
 * writing: nothing is written until restart) or {@code STOPPED}
 * @param holder the holder as the lease object names it ({@code host:pid}), {@code null}
 * when unknown
 * @param held whether this engine is the holder
 * @param epoch the lease's generation, incremented by each new holder, 0 when unknown
 * @param expiresAt when the lease expires unless renewed, {@code null} when unknown
 * @param detail why the state is what it is, {@code null} when {@code HELD}
 */
public record LeaseStatus(String state, @Nullable String holder, boolean held, long epoch, @Nullable Instant expiresAt,
		@Nullable String detail) {

	/** The status when leases are disabled. */
	public static final LeaseStatus DISABLED = new LeaseStatus("DISABLED", null, false, 0, null, null);

}
