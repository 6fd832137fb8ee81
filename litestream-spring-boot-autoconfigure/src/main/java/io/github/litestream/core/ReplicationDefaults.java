package io.github.litestream.core;

import java.time.Duration;
import java.util.List;

import io.github.litestream.ownership.LeaseConfig;

/**
 * Named defaults of the replication engine. They mirror Litestream v0.5 and are the
 * defaults of the {@code litestream.*} properties.
 */
public final class ReplicationDefaults {

	/** How often the WAL is polled for commits made outside this JVM. */
	public static final Duration MONITOR_INTERVAL = Duration.ofSeconds(1);

	/** Minimum time between two uploads to a replica while writes happen. */
	public static final Duration SYNC_INTERVAL = Duration.ofSeconds(1);

	/** Maximum time between two PASSIVE checkpoints while the WAL has new frames. */
	public static final Duration CHECKPOINT_INTERVAL = Duration.ofMinutes(1);

	/** WAL size in pages at which a PASSIVE checkpoint runs. */
	public static final int MIN_CHECKPOINT_PAGE_COUNT = 1000;

	/**
	 * WAL size in pages at which a TRUNCATE checkpoint runs when the previous checkpoint
	 * could not restart the WAL, and the size the WAL file is cut back to after a restart
	 * (about 500 MB of 4 KiB pages).
	 */
	public static final int TRUNCATE_PAGE_COUNT = 121359;

	/** SQLite busy timeout of the engine's own connections. */
	public static final Duration BUSY_TIMEOUT = Duration.ofSeconds(1);

	/**
	 * SQLite busy timeout of the application's connections (those of the wrapped
	 * DataSource) when their JDBC URL sets none; Rails and Django use the same.
	 */
	public static final Duration APPLICATION_BUSY_TIMEOUT = Duration.ofSeconds(5);

	/** How often a full snapshot is written to level 9. */
	public static final Duration SNAPSHOT_INTERVAL = Duration.ofHours(24);

	/** How long snapshots are kept (the newest is always kept). */
	public static final Duration SNAPSHOT_RETENTION = Duration.ofHours(24);

	/** How long L0 files are kept after level 1 covers them. */
	public static final Duration L0_RETENTION = Duration.ofMinutes(5);

	/** Bound of the final sync and upload when the engine stops. */
	public static final Duration SHUTDOWN_SYNC_TIMEOUT = Duration.ofSeconds(30);

	/** Number of replica files a restore downloads at the same time. */
	public static final int RESTORE_PARALLELISM = 8;

	/** First wait before retrying a failed upload. */
	public static final Duration RETRY_INITIAL_BACKOFF = Duration.ofMillis(100);

	/** Longest wait between two retries of a failed upload. */
	public static final Duration RETRY_MAX_BACKOFF = Duration.ofSeconds(30);

	/** Compaction intervals of levels 1, 2 and 3. */
	public static final List<Duration> LEVEL_INTERVALS = List.of(Duration.ofSeconds(30), Duration.ofMinutes(5),
			Duration.ofHours(1));

	/** Level that holds full snapshots, as in Litestream. */
	public static final int SNAPSHOT_LEVEL = 9;

	/**
	 * How long a replica's lease lasts after its last renewal; Litestream's leaser uses
	 * the same.
	 */
	public static final Duration LEASE_TTL = LeaseConfig.DEFAULT_TTL;

	/** How often the holder renews a replica's lease. */
	public static final Duration LEASE_RENEW_INTERVAL = LeaseConfig.DEFAULT_RENEW_INTERVAL;

	/** How long a starting instance waits for the leases of its replicas. */
	public static final Duration LEASE_STARTUP_TIMEOUT = LeaseConfig.DEFAULT_STARTUP_TIMEOUT;

	private ReplicationDefaults() {
	}

}
