package io.github.litestream.core;

import java.time.Duration;
import java.util.Objects;

import io.github.litestream.storage.ReplicaClient;

/**
 * One replica of a database: where files go and how often they are uploaded.
 *
 * @param name the replica name, unique per database (used in logs, metrics and the
 * endpoint)
 * @param client the storage client
 * @param syncInterval minimum time between two uploads while writes happen; zero uploads
 * as soon as the previous upload finished
 */
public record ReplicaConfig(String name, ReplicaClient client, Duration syncInterval) {

	/**
	 * Validates the replica settings.
	 * @param name the replica name
	 * @param client the storage client
	 * @param syncInterval the upload cadence
	 */
	public ReplicaConfig {
		Objects.requireNonNull(client, "client");
		if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9._-]+")) {
			throw new IllegalArgumentException("litestream.replicas[].name must be non-empty and contain only letters, "
					+ "digits, '.', '_' or '-', was '" + name + "'");
		}
		if (syncInterval == null || syncInterval.isNegative()) {
			throw new IllegalArgumentException(
					"litestream.replicas[].sync-interval must be zero or positive, was '" + syncInterval + "'");
		}
	}

	/**
	 * Creates a replica with the default sync interval.
	 * @param name the replica name
	 * @param client the storage client
	 * @return the replica settings
	 */
	public static ReplicaConfig of(String name, ReplicaClient client) {
		return new ReplicaConfig(name, client, ReplicationDefaults.SYNC_INTERVAL);
	}

}
