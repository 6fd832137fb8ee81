package io.github.litestream.testsupport;

import java.time.Duration;
import java.util.List;

import io.github.litestream.core.ReplicatorConfig;

/**
 * An engine configuration whose compactor writes nothing during a test, for tests that
 * count writes or compare a replica's files.
 * <p>
 * Long intervals are not enough: passes are due on wall-clock boundaries aligned to the
 * epoch, so a level of one hour still compacts at the top of every hour, and the daily
 * snapshot at midnight UTC. A test whose window spans such a boundary then sees a write
 * it did not make (about once every few hundred runs for a 10 s window and an hourly
 * level). Here there are no levels, and the next snapshot boundary is in 2070; the
 * compactor's snapshot pass after the start only finds the engine's seed snapshot.
 */
public final class NoCompaction {

	/**
	 * A snapshot interval whose next epoch-aligned boundary is decades away, yet short
	 * enough that the compactor's wait until it fits in a {@code long} of nanoseconds.
	 */
	public static final Duration NEVER = Duration.ofDays(100 * 365);

	private NoCompaction() {
	}

	/**
	 * Turns compaction and the compactor's snapshots off.
	 * @param builder the engine configuration
	 * @return the same builder
	 */
	public static ReplicatorConfig.Builder of(ReplicatorConfig.Builder builder) {
		return builder.levels(List.of()).snapshots(NEVER, NEVER);
	}

}
