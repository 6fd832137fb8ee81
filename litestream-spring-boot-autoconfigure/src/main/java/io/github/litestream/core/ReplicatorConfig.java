package io.github.litestream.core;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import io.github.litestream.ltx.PageEncoding;
import io.github.litestream.ownership.LeaseConfig;
import org.jspecify.annotations.Nullable;

/**
 * Immutable settings of one database's replication engine (a
 * {@code io.github.litestream.replication.Replicator}). Built with
 * {@link #builder(String, Path)}; the constructor rejects bad values with a message that
 * quotes the value and names the {@code litestream.*} property that sets it.
 */
public final class ReplicatorConfig {

	private final String name;

	private final Path databasePath;

	private final Path metaDirectory;

	private final List<ReplicaConfig> replicas;

	private final Duration monitorInterval;

	private final Duration checkpointInterval;

	private final int minCheckpointPageCount;

	private final int truncatePageCount;

	private final Duration busyTimeout;

	private final Duration shutdownSyncTimeout;

	private final Duration retryInitialBackoff;

	private final Duration retryMaxBackoff;

	private final LeaseConfig lease;

	private final PageEncoding pageEncoding;

	private final Clock clock;

	private final ReplicationListener listener;

	private final List<Duration> levels;

	private final Duration snapshotInterval;

	private final Duration snapshotRetention;

	private final Duration l0Retention;

	private final int restoreParallelism;

	private ReplicatorConfig(Builder builder) {
		this.name = requireName(builder.name);
		this.databasePath = builder.databasePath.toAbsolutePath().normalize();
		Path parent = this.databasePath.getParent();
		this.metaDirectory = (builder.metaDirectory != null) ? builder.metaDirectory.toAbsolutePath().normalize()
				: parent.resolve("." + this.databasePath.getFileName() + "-litestream");
		this.replicas = List.copyOf(builder.replicas);
		Set<String> names = new HashSet<>();
		for (ReplicaConfig replica : this.replicas) {
			if (!names.add(replica.name())) {
				throw new IllegalArgumentException(
						"litestream.replicas[].name must be unique per database, '" + replica.name() + "' is repeated");
			}
		}
		this.monitorInterval = requirePositive("litestream.monitor-interval", builder.monitorInterval);
		this.checkpointInterval = requirePositive("litestream.checkpoint-interval", builder.checkpointInterval);
		if (builder.minCheckpointPageCount < 1) {
			throw new IllegalArgumentException("litestream.min-checkpoint-page-count must be at least 1, was '"
					+ builder.minCheckpointPageCount + "'");
		}
		this.minCheckpointPageCount = builder.minCheckpointPageCount;
		if (builder.truncatePageCount < builder.minCheckpointPageCount) {
			throw new IllegalArgumentException(
					"litestream.truncate-page-count must be at least " + "litestream.min-checkpoint-page-count ("
							+ builder.minCheckpointPageCount + "), was '" + builder.truncatePageCount + "'");
		}
		this.truncatePageCount = builder.truncatePageCount;
		this.busyTimeout = requirePositive("litestream.busy-timeout", builder.busyTimeout);
		this.shutdownSyncTimeout = requireNotNegative("litestream.shutdown-sync-timeout", builder.shutdownSyncTimeout);
		this.retryInitialBackoff = requirePositive("retry initial backoff", builder.retryInitialBackoff);
		this.retryMaxBackoff = requirePositive("retry max backoff", builder.retryMaxBackoff);
		this.pageEncoding = Objects.requireNonNull(builder.pageEncoding, "pageEncoding");
		this.clock = Objects.requireNonNull(builder.clock, "clock");
		this.listener = Objects.requireNonNull(builder.listener, "listener");
		this.levels = requireLevels(builder.levels);
		this.snapshotInterval = requirePositive("litestream.snapshot.interval", builder.snapshotInterval);
		this.snapshotRetention = requirePositive("litestream.snapshot.retention", builder.snapshotRetention);
		this.l0Retention = requireNotNegative("litestream.l0-retention", builder.l0Retention);
		if (builder.restoreParallelism < 1) {
			throw new IllegalArgumentException(
					"litestream.restore.parallelism must be at least 1, was '" + builder.restoreParallelism + "'");
		}
		this.restoreParallelism = builder.restoreParallelism;
		this.lease = Objects.requireNonNull(builder.lease, "lease");
	}

	/**
	 * Levels 1..8 exist; each compacts the one below, so a level must not run more often
	 * than the level it reads (Litestream's own rule).
	 */
	private static List<Duration> requireLevels(@Nullable List<Duration> levels) {
		if (levels == null || levels.size() > ReplicationDefaults.SNAPSHOT_LEVEL - 1) {
			throw new IllegalArgumentException("litestream.levels must list at most "
					+ (ReplicationDefaults.SNAPSHOT_LEVEL - 1) + " intervals, was '" + levels + "'");
		}
		Duration previous = Duration.ZERO;
		for (Duration interval : levels) {
			requirePositive("litestream.levels[]", interval);
			if (interval.compareTo(previous) < 0) {
				throw new IllegalArgumentException(
						"litestream.levels must not decrease from one level to the next, was '" + levels + "'");
			}
			previous = interval;
		}
		return List.copyOf(levels);
	}

	private static String requireName(String name) {
		if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9._-]+")) {
			throw new IllegalArgumentException("litestream.databases key (the database name) must be non-empty and "
					+ "contain only letters, digits, '.', '_' or '-', was '" + name + "'");
		}
		return name;
	}

	private static Duration requirePositive(String property, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw new IllegalArgumentException(property + " must be positive, was '" + value + "'");
		}
		return value;
	}

	private static Duration requireNotNegative(String property, @Nullable Duration value) {
		if (value == null || value.isNegative()) {
			throw new IllegalArgumentException(property + " must be zero or positive, was '" + value + "'");
		}
		return value;
	}

	/**
	 * Returns the lease settings: whether one writer per replica is enforced, and the
	 * lease's TTL and renewal interval.
	 * @return the lease settings
	 */
	public LeaseConfig lease() {
		return this.lease;
	}

	/**
	 * Starts building the settings of a database.
	 * @param name the database name (the DataSource bean name in Spring)
	 * @param databasePath the SQLite database file
	 * @return a builder with every default set
	 */
	public static Builder builder(String name, Path databasePath) {
		return new Builder(name, databasePath);
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Returns the absolute path of the database file.
	 * @return the database file
	 */
	public Path databasePath() {
		return this.databasePath;
	}

	/**
	 * Returns the path of the database's WAL file.
	 * @return the {@code -wal} file
	 */
	public Path walPath() {
		return this.databasePath.resolveSibling(this.databasePath.getFileName() + "-wal");
	}

	/**
	 * Returns the directory where L0 files are staged before upload.
	 * @return the meta directory, by default {@code <dir>/.<db file>-litestream}
	 */
	public Path metaDirectory() {
		return this.metaDirectory;
	}

	/**
	 * Returns the replicas.
	 * @return the replicas, possibly empty
	 */
	public List<ReplicaConfig> replicas() {
		return this.replicas;
	}

	/**
	 * Returns how often the WAL is polled for changes made outside this JVM.
	 * @return the monitor interval
	 */
	public Duration monitorInterval() {
		return this.monitorInterval;
	}

	/**
	 * Returns the longest time between two PASSIVE checkpoints while the WAL has frames.
	 * @return the checkpoint interval
	 */
	public Duration checkpointInterval() {
		return this.checkpointInterval;
	}

	/**
	 * Returns the WAL size in pages at which a PASSIVE checkpoint runs.
	 * @return the page count
	 */
	public int minCheckpointPageCount() {
		return this.minCheckpointPageCount;
	}

	/**
	 * Returns the WAL size in pages at which a TRUNCATE checkpoint runs.
	 * @return the page count
	 */
	public int truncatePageCount() {
		return this.truncatePageCount;
	}

	/**
	 * Returns the SQLite busy timeout of the engine's connections.
	 * @return the busy timeout
	 */
	public Duration busyTimeout() {
		return this.busyTimeout;
	}

	/**
	 * Returns the bound of the final sync and upload on stop.
	 * @return the timeout
	 */
	public Duration shutdownSyncTimeout() {
		return this.shutdownSyncTimeout;
	}

	/**
	 * Returns the first backoff after a failed upload.
	 * @return the initial backoff
	 */
	public Duration retryInitialBackoff() {
		return this.retryInitialBackoff;
	}

	/**
	 * Returns the longest backoff between retries.
	 * @return the maximum backoff
	 */
	public Duration retryMaxBackoff() {
		return this.retryMaxBackoff;
	}

	/**
	 * Returns how pages are encoded in the LTX files this engine writes.
	 * @return the page encoding
	 */
	public PageEncoding pageEncoding() {
		return this.pageEncoding;
	}

	/**
	 * Returns the clock that stamps LTX files.
	 * @return the clock
	 */
	public Clock clock() {
		return this.clock;
	}

	/**
	 * Returns the listener that receives the engine's events.
	 * @return the listener
	 */
	public ReplicationListener listener() {
		return this.listener;
	}

	/**
	 * Returns the compaction intervals of levels 1, 2, ... in order.
	 * @return the intervals, possibly empty (no compaction below snapshots)
	 */
	public List<Duration> levels() {
		return this.levels;
	}

	/**
	 * Returns how often a level-9 snapshot is written.
	 * @return the snapshot interval
	 */
	public Duration snapshotInterval() {
		return this.snapshotInterval;
	}

	/**
	 * Returns how long snapshots are kept; the newest is always kept.
	 * @return the snapshot retention
	 */
	public Duration snapshotRetention() {
		return this.snapshotRetention;
	}

	/**
	 * Returns how long L0 files are kept once level 1 covers them.
	 * @return the L0 retention; zero disables the removal of L0 files, as in Litestream
	 */
	public Duration l0Retention() {
		return this.l0Retention;
	}

	/**
	 * Returns how many replica files a restore downloads at the same time.
	 * @return the restore parallelism
	 */
	public int restoreParallelism() {
		return this.restoreParallelism;
	}

	/**
	 * Builds a {@link ReplicatorConfig}; every setting starts at its
	 * {@link ReplicationDefaults default}.
	 */
	public static final class Builder {

		private final String name;

		private final Path databasePath;

		private @Nullable Path metaDirectory;

		private final List<ReplicaConfig> replicas = new ArrayList<>();

		private Duration monitorInterval = ReplicationDefaults.MONITOR_INTERVAL;

		private Duration checkpointInterval = ReplicationDefaults.CHECKPOINT_INTERVAL;

		private int minCheckpointPageCount = ReplicationDefaults.MIN_CHECKPOINT_PAGE_COUNT;

		private int truncatePageCount = ReplicationDefaults.TRUNCATE_PAGE_COUNT;

		private Duration busyTimeout = ReplicationDefaults.BUSY_TIMEOUT;

		private Duration shutdownSyncTimeout = ReplicationDefaults.SHUTDOWN_SYNC_TIMEOUT;

		private Duration retryInitialBackoff = ReplicationDefaults.RETRY_INITIAL_BACKOFF;

		private Duration retryMaxBackoff = ReplicationDefaults.RETRY_MAX_BACKOFF;

		private LeaseConfig lease = LeaseConfig.DEFAULT;

		// Frame-encoded pages are readable by every Litestream v0.5.x (DESIGN section 3).
		private PageEncoding pageEncoding = PageEncoding.FRAME;

		private Clock clock = Clock.systemUTC();

		private ReplicationListener listener = ReplicationListener.NO_OP;

		private List<Duration> levels = ReplicationDefaults.LEVEL_INTERVALS;

		private Duration snapshotInterval = ReplicationDefaults.SNAPSHOT_INTERVAL;

		private Duration snapshotRetention = ReplicationDefaults.SNAPSHOT_RETENTION;

		private Duration l0Retention = ReplicationDefaults.L0_RETENTION;

		private int restoreParallelism = ReplicationDefaults.RESTORE_PARALLELISM;

		private Builder(String name, Path databasePath) {
			this.name = name;
			this.databasePath = Objects.requireNonNull(databasePath, "databasePath");
		}

		/**
		 * Sets the staging directory.
		 * @param metaDirectory the directory
		 * @return this builder
		 */
		public Builder metaDirectory(Path metaDirectory) {
			this.metaDirectory = metaDirectory;
			return this;
		}

		/**
		 * Adds a replica.
		 * @param replica the replica
		 * @return this builder
		 */
		public Builder replica(ReplicaConfig replica) {
			this.replicas.add(Objects.requireNonNull(replica, "replica"));
			return this;
		}

		/**
		 * Sets the monitor interval.
		 * @param monitorInterval the interval
		 * @return this builder
		 */
		public Builder monitorInterval(Duration monitorInterval) {
			this.monitorInterval = monitorInterval;
			return this;
		}

		/**
		 * Sets the checkpoint interval.
		 * @param checkpointInterval the interval
		 * @return this builder
		 */
		public Builder checkpointInterval(Duration checkpointInterval) {
			this.checkpointInterval = checkpointInterval;
			return this;
		}

		/**
		 * Sets the WAL page count that triggers a PASSIVE checkpoint.
		 * @param minCheckpointPageCount the page count
		 * @return this builder
		 */
		public Builder minCheckpointPageCount(int minCheckpointPageCount) {
			this.minCheckpointPageCount = minCheckpointPageCount;
			return this;
		}

		/**
		 * Sets the WAL page count that triggers a TRUNCATE checkpoint.
		 * @param truncatePageCount the page count
		 * @return this builder
		 */
		public Builder truncatePageCount(int truncatePageCount) {
			this.truncatePageCount = truncatePageCount;
			return this;
		}

		/**
		 * Sets the busy timeout.
		 * @param busyTimeout the timeout
		 * @return this builder
		 */
		public Builder busyTimeout(Duration busyTimeout) {
			this.busyTimeout = busyTimeout;
			return this;
		}

		/**
		 * Sets the bound of the final sync.
		 * @param shutdownSyncTimeout the timeout
		 * @return this builder
		 */
		public Builder shutdownSyncTimeout(Duration shutdownSyncTimeout) {
			this.shutdownSyncTimeout = shutdownSyncTimeout;
			return this;
		}

		/**
		 * Sets the backoff of failed uploads.
		 * @param initial the first wait
		 * @param max the longest wait
		 * @return this builder
		 */
		public Builder retryBackoff(Duration initial, Duration max) {
			this.retryInitialBackoff = initial;
			this.retryMaxBackoff = max;
			return this;
		}

		/**
		 * Sets the page encoding of written LTX files.
		 * @param pageEncoding the encoding
		 * @return this builder
		 */
		public Builder pageEncoding(PageEncoding pageEncoding) {
			this.pageEncoding = pageEncoding;
			return this;
		}

		/**
		 * Sets the clock.
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			this.clock = clock;
			return this;
		}

		/**
		 * Sets the listener.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(ReplicationListener listener) {
			this.listener = listener;
			return this;
		}

		/**
		 * Sets the compaction intervals of levels 1, 2, ...
		 * @param levels the intervals, not decreasing
		 * @return this builder
		 */
		public Builder levels(List<Duration> levels) {
			this.levels = levels;
			return this;
		}

		/**
		 * Sets the snapshot interval and retention.
		 * @param interval how often a level-9 snapshot is written
		 * @param retention how long snapshots are kept (the newest always is)
		 * @return this builder
		 */
		public Builder snapshots(Duration interval, Duration retention) {
			this.snapshotInterval = interval;
			this.snapshotRetention = retention;
			return this;
		}

		/**
		 * Sets how long L0 files are kept once level 1 covers them.
		 * @param l0Retention the retention
		 * @return this builder
		 */
		public Builder l0Retention(Duration l0Retention) {
			this.l0Retention = l0Retention;
			return this;
		}

		/**
		 * Sets how many replica files a restore downloads at the same time.
		 * @param restoreParallelism at least 1
		 * @return this builder
		 */
		public Builder restoreParallelism(int restoreParallelism) {
			this.restoreParallelism = restoreParallelism;
			return this;
		}

		/**
		 * Sets the lease settings.
		 * @param lease the lease settings; {@link LeaseConfig#DEFAULT} by default
		 * @return this builder
		 */
		public Builder lease(LeaseConfig lease) {
			this.lease = lease;
			return this;
		}

		/**
		 * Validates and builds the settings.
		 * @return the settings
		 * @throws IllegalArgumentException naming the property of a bad value
		 */
		public ReplicatorConfig build() {
			return new ReplicatorConfig(this);
		}

	}

}
