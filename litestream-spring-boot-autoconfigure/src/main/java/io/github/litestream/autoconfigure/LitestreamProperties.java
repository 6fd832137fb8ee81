package io.github.litestream.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.storage.s3.S3Encryption;
import io.github.litestream.storage.s3.S3ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties for Litestream replication of SQLite databases.
 *
 * @author litestream-spring-boot
 */
@ConfigurationProperties("litestream")
public class LitestreamProperties {

	/**
	 * Whether to wrap SQLite DataSources and replicate them.
	 */
	private boolean enabled = true;

	/**
	 * Per-database settings, keyed by DataSource bean name.
	 */
	private Map<String, Database> databases = new LinkedHashMap<>();

	/**
	 * Replicas that every database replicates to.
	 */
	private List<Replica> replicas = new ArrayList<>();

	/**
	 * How often the WAL is polled for commits made outside this JVM.
	 */
	private Duration monitorInterval = ReplicationDefaults.MONITOR_INTERVAL;

	/**
	 * Longest time between two PASSIVE checkpoints while the WAL has new frames.
	 */
	private Duration checkpointInterval = ReplicationDefaults.CHECKPOINT_INTERVAL;

	/**
	 * WAL size, in pages, at which a PASSIVE checkpoint runs.
	 */
	private int minCheckpointPageCount = ReplicationDefaults.MIN_CHECKPOINT_PAGE_COUNT;

	/**
	 * WAL size, in pages, at which a TRUNCATE checkpoint runs when the previous
	 * checkpoint could not restart the WAL (readers held it), and to which the WAL file
	 * is cut back after a restart.
	 */
	private int truncatePageCount = ReplicationDefaults.TRUNCATE_PAGE_COUNT;

	/**
	 * SQLite busy timeout of the engine's own connections. The application's connections
	 * keep a busy_timeout given in the JDBC URL, and wait 5s otherwise.
	 */
	private Duration busyTimeout = ReplicationDefaults.BUSY_TIMEOUT;

	/**
	 * Snapshot settings.
	 */
	private final Snapshot snapshot = new Snapshot();

	/**
	 * Compaction intervals of levels 1, 2 and 3.
	 */
	private List<Duration> levels = new ArrayList<>(ReplicationDefaults.LEVEL_INTERVALS);

	/**
	 * How long level 0 files are kept after level 1 covers them.
	 */
	private Duration l0Retention = ReplicationDefaults.L0_RETENTION;

	/**
	 * Longest time the final sync and upload may take when the application stops.
	 */
	private Duration shutdownSyncTimeout = ReplicationDefaults.SHUTDOWN_SYNC_TIMEOUT;

	/**
	 * Restore settings.
	 */
	private final Restore restore = new Restore();

	/**
	 * Health indicator settings.
	 */
	private final Health health = new Health();

	/**
	 * Whether to replicate even when the SQLite library at runtime has the WAL-reset
	 * corruption bug (SQLite 3.7.0 to 3.51.2 except the 3.44.6+ and 3.50.7+ backports;
	 * see https://www.sqlite.org/wal.html#walresetbug). Without it, startup fails on such
	 * a version; with it, a warning is logged and the database risks corruption.
	 */
	private boolean allowUnsafeSqliteVersion;

	/**
	 * Single-writer lease settings.
	 */
	private final Lease lease = new Lease();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Map<String, Database> getDatabases() {
		return this.databases;
	}

	public void setDatabases(Map<String, Database> databases) {
		this.databases = databases;
	}

	public List<Replica> getReplicas() {
		return this.replicas;
	}

	public void setReplicas(List<Replica> replicas) {
		this.replicas = replicas;
	}

	public Duration getMonitorInterval() {
		return this.monitorInterval;
	}

	public void setMonitorInterval(Duration monitorInterval) {
		this.monitorInterval = monitorInterval;
	}

	public Duration getCheckpointInterval() {
		return this.checkpointInterval;
	}

	public void setCheckpointInterval(Duration checkpointInterval) {
		this.checkpointInterval = checkpointInterval;
	}

	public int getMinCheckpointPageCount() {
		return this.minCheckpointPageCount;
	}

	public void setMinCheckpointPageCount(int minCheckpointPageCount) {
		this.minCheckpointPageCount = minCheckpointPageCount;
	}

	public int getTruncatePageCount() {
		return this.truncatePageCount;
	}

	public void setTruncatePageCount(int truncatePageCount) {
		this.truncatePageCount = truncatePageCount;
	}

	public Duration getBusyTimeout() {
		return this.busyTimeout;
	}

	public void setBusyTimeout(Duration busyTimeout) {
		this.busyTimeout = busyTimeout;
	}

	public Snapshot getSnapshot() {
		return this.snapshot;
	}

	public List<Duration> getLevels() {
		return this.levels;
	}

	public void setLevels(List<Duration> levels) {
		this.levels = levels;
	}

	public Duration getL0Retention() {
		return this.l0Retention;
	}

	public void setL0Retention(Duration l0Retention) {
		this.l0Retention = l0Retention;
	}

	public Duration getShutdownSyncTimeout() {
		return this.shutdownSyncTimeout;
	}

	public void setShutdownSyncTimeout(Duration shutdownSyncTimeout) {
		this.shutdownSyncTimeout = shutdownSyncTimeout;
	}

	public Restore getRestore() {
		return this.restore;
	}

	public Health getHealth() {
		return this.health;
	}

	public boolean isAllowUnsafeSqliteVersion() {
		return this.allowUnsafeSqliteVersion;
	}

	public void setAllowUnsafeSqliteVersion(boolean allowUnsafeSqliteVersion) {
		this.allowUnsafeSqliteVersion = allowUnsafeSqliteVersion;
	}

	public Lease getLease() {
		return this.lease;
	}

	/**
	 * Settings of one database.
	 */
	public static class Database {

		/**
		 * Path of the database file. By default derived from the JDBC URL.
		 */
		private @Nullable Path path;

		public @Nullable Path getPath() {
			return this.path;
		}

		public void setPath(@Nullable Path path) {
			this.path = path;
		}

	}

	/**
	 * One replica location.
	 */
	public static class Replica {

		/**
		 * Name of the replica in logs, metrics and the endpoint. By default the URL
		 * scheme.
		 */
		private @Nullable String name;

		/**
		 * Location of the replica: 's3://bucket/prefix', 'file:///absolute/dir' or a
		 * plain directory path. An S3 URL needs a prefix; no URL may carry credentials.
		 */
		private @Nullable URI url;

		/**
		 * Minimum time between two uploads while writes happen. Zero uploads as soon as
		 * the previous upload finished.
		 */
		private Duration syncInterval = ReplicationDefaults.SYNC_INTERVAL;

		/**
		 * S3 endpoint override. By default 'spring.cloud.aws.s3.endpoint' applies.
		 */
		private @Nullable URI endpoint;

		/**
		 * S3 region override. By default 'spring.cloud.aws.region.static' applies.
		 */
		private @Nullable String region;

		/**
		 * Whether to use path-style S3 access. By default
		 * 'spring.cloud.aws.s3.path-style-access-enabled' applies.
		 */
		private @Nullable Boolean forcePathStyle;

		/**
		 * S3 access key ID override.
		 */
		private @Nullable String accessKeyId;

		/**
		 * S3 secret access key override.
		 */
		private @Nullable String secretAccessKey;

		/**
		 * Whether the AWS SDK adds optional checksums to S3 requests (CRC headers,
		 * 'aws-chunked' uploads with checksum trailers) and validates those of responses.
		 * By default on for AWS S3 and off for a custom endpoint, as many S3-compatible
		 * stores reject them.
		 */
		private @Nullable Boolean checksums;

		/**
		 * ID, ARN or alias of the KMS key that encrypts the objects written (SSE-KMS).
		 */
		private @Nullable String sseKmsKeyId;

		/**
		 * Base64-encoded 256-bit key that encrypts the objects written and is sent with
		 * every read (SSE-C). Refused over plain HTTP, except to a loopback address.
		 */
		private @Nullable String sseCustomerKey;

		/**
		 * File holding the SSE-C key, base64-encoded or as its 32 raw bytes; an
		 * alternative to 'sse-customer-key'.
		 */
		private @Nullable Path sseCustomerKeyPath;

		/**
		 * Algorithm of the SSE-C key.
		 */
		private String sseCustomerAlgorithm = S3Encryption.AES256;

		/**
		 * Storage class of the objects written, for example 'STANDARD_IA'. By default the
		 * bucket's.
		 */
		private @Nullable String storageClass;

		/**
		 * Part size of multipart uploads (from 5MB) and of ranged downloads. Files
		 * smaller than this are written with one request.
		 */
		private DataSize partSize = DataSize.ofBytes(S3ReplicaClient.DEFAULT_PART_SIZE);

		/**
		 * Number of parts of one multipart upload sent at once, each held in memory while
		 * it is sent. By default 2, or what the provider of the endpoint needs.
		 */
		private @Nullable Integer uploadConcurrency;

		public @Nullable String getName() {
			return this.name;
		}

		public void setName(@Nullable String name) {
			this.name = name;
		}

		public @Nullable URI getUrl() {
			return this.url;
		}

		public void setUrl(@Nullable URI url) {
			this.url = url;
		}

		public Duration getSyncInterval() {
			return this.syncInterval;
		}

		public void setSyncInterval(Duration syncInterval) {
			this.syncInterval = syncInterval;
		}

		public @Nullable URI getEndpoint() {
			return this.endpoint;
		}

		public void setEndpoint(@Nullable URI endpoint) {
			this.endpoint = endpoint;
		}

		public @Nullable String getRegion() {
			return this.region;
		}

		public void setRegion(@Nullable String region) {
			this.region = region;
		}

		public @Nullable Boolean getForcePathStyle() {
			return this.forcePathStyle;
		}

		public void setForcePathStyle(@Nullable Boolean forcePathStyle) {
			this.forcePathStyle = forcePathStyle;
		}

		public @Nullable String getAccessKeyId() {
			return this.accessKeyId;
		}

		public void setAccessKeyId(@Nullable String accessKeyId) {
			this.accessKeyId = accessKeyId;
		}

		public @Nullable String getSecretAccessKey() {
			return this.secretAccessKey;
		}

		public void setSecretAccessKey(@Nullable String secretAccessKey) {
			this.secretAccessKey = secretAccessKey;
		}

		public @Nullable Boolean getChecksums() {
			return this.checksums;
		}

		public void setChecksums(@Nullable Boolean checksums) {
			this.checksums = checksums;
		}

		public @Nullable String getSseKmsKeyId() {
			return this.sseKmsKeyId;
		}

		public void setSseKmsKeyId(@Nullable String sseKmsKeyId) {
			this.sseKmsKeyId = sseKmsKeyId;
		}

		public @Nullable String getSseCustomerKey() {
			return this.sseCustomerKey;
		}

		public void setSseCustomerKey(@Nullable String sseCustomerKey) {
			this.sseCustomerKey = sseCustomerKey;
		}

		public @Nullable Path getSseCustomerKeyPath() {
			return this.sseCustomerKeyPath;
		}

		public void setSseCustomerKeyPath(@Nullable Path sseCustomerKeyPath) {
			this.sseCustomerKeyPath = sseCustomerKeyPath;
		}

		public String getSseCustomerAlgorithm() {
			return this.sseCustomerAlgorithm;
		}

		public void setSseCustomerAlgorithm(String sseCustomerAlgorithm) {
			this.sseCustomerAlgorithm = sseCustomerAlgorithm;
		}

		public @Nullable String getStorageClass() {
			return this.storageClass;
		}

		public void setStorageClass(@Nullable String storageClass) {
			this.storageClass = storageClass;
		}

		public DataSize getPartSize() {
			return this.partSize;
		}

		public void setPartSize(DataSize partSize) {
			this.partSize = partSize;
		}

		public @Nullable Integer getUploadConcurrency() {
			return this.uploadConcurrency;
		}

		public void setUploadConcurrency(@Nullable Integer uploadConcurrency) {
			this.uploadConcurrency = uploadConcurrency;
		}

	}

	/**
	 * Snapshot settings.
	 */
	public static class Snapshot {

		/**
		 * How often a full snapshot is written to level 9.
		 */
		private Duration interval = ReplicationDefaults.SNAPSHOT_INTERVAL;

		/**
		 * How long snapshots are kept. The newest snapshot is always kept.
		 */
		private Duration retention = ReplicationDefaults.SNAPSHOT_RETENTION;

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

		public Duration getRetention() {
			return this.retention;
		}

		public void setRetention(Duration retention) {
			this.retention = retention;
		}

	}

	/**
	 * Restore settings.
	 */
	public static class Restore {

		/**
		 * When to restore a database from its replicas while the application starts.
		 */
		private OnStartup onStartup = OnStartup.IF_MISSING;

		/**
		 * SQLite check run on a restored database before it is moved into place.
		 */
		private IntegrityCheck integrityCheck = IntegrityCheck.QUICK;

		/**
		 * Longest time an in-place restore waits for borrowed connections to be returned
		 * to the pool.
		 */
		private Duration drainTimeout = Duration.ofSeconds(10);

		/**
		 * Number of replica files a restore downloads at the same time.
		 */
		private int parallelism = ReplicationDefaults.RESTORE_PARALLELISM;

		public OnStartup getOnStartup() {
			return this.onStartup;
		}

		public void setOnStartup(OnStartup onStartup) {
			this.onStartup = onStartup;
		}

		public IntegrityCheck getIntegrityCheck() {
			return this.integrityCheck;
		}

		public void setIntegrityCheck(IntegrityCheck integrityCheck) {
			this.integrityCheck = integrityCheck;
		}

		public Duration getDrainTimeout() {
			return this.drainTimeout;
		}

		public void setDrainTimeout(Duration drainTimeout) {
			this.drainTimeout = drainTimeout;
		}

		public int getParallelism() {
			return this.parallelism;
		}

		public void setParallelism(int parallelism) {
			this.parallelism = parallelism;
		}

	}

	/**
	 * Health indicator settings.
	 */
	public static class Health {

		/**
		 * Replica lag at and above which the health indicator reports DOWN.
		 */
		private Duration maxLag = Duration.ofMinutes(1);

		public Duration getMaxLag() {
			return this.maxLag;
		}

		public void setMaxLag(Duration maxLag) {
			this.maxLag = maxLag;
		}

	}

	/**
	 * Single-writer lease settings: each replica is written only by the instance that
	 * holds its lease, kept in the replica as the object {@code lock.json}.
	 */
	public static class Lease {

		/**
		 * Whether to write a replica only while holding its lease. When disabled, every
		 * instance writes, and only conditional creates keep two histories from
		 * interleaving.
		 */
		private boolean enabled = true;

		/**
		 * How long a lease lasts after its last renewal. An instance killed without
		 * releasing its lease is succeeded this long after its last renewal. The holder
		 * stops writing when two thirds of it have passed without a renewal.
		 */
		private Duration ttl = ReplicationDefaults.LEASE_TTL;

		/**
		 * How often the holder renews its lease; at most a third of the TTL.
		 */
		private Duration renewInterval = ReplicationDefaults.LEASE_RENEW_INTERVAL;

		/**
		 * What a starting instance does when another live instance holds a lease (a
		 * rolling deploy): 'request' asks the holder to hand the database over at its
		 * next renewal (it pauses its pool, syncs, releases the lease with its final TXID
		 * and stops serving; this instance restores that TXID, then starts); 'wait' waits
		 * until the holder stops or its lease expires.
		 */
		private LeaseConfig.Handover handover = LeaseConfig.Handover.REQUEST;

		/**
		 * How long a starting instance waits for the leases before its startup fails.
		 */
		private Duration startupTimeout = ReplicationDefaults.LEASE_STARTUP_TIMEOUT;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getTtl() {
			return this.ttl;
		}

		public void setTtl(Duration ttl) {
			this.ttl = ttl;
		}

		public Duration getRenewInterval() {
			return this.renewInterval;
		}

		public void setRenewInterval(Duration renewInterval) {
			this.renewInterval = renewInterval;
		}

		public LeaseConfig.Handover getHandover() {
			return this.handover;
		}

		public void setHandover(LeaseConfig.Handover handover) {
			this.handover = handover;
		}

		public Duration getStartupTimeout() {
			return this.startupTimeout;
		}

		public void setStartupTimeout(Duration startupTimeout) {
			this.startupTimeout = startupTimeout;
		}

	}

	/**
	 * When a database is restored while the application starts.
	 */
	public enum OnStartup {

		/**
		 * Restore when the database file does not exist and a replica holds a backup.
		 */
		IF_MISSING,

		/**
		 * Never restore on startup.
		 */
		NEVER

	}

}
