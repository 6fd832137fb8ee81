package io.github.litestream.jdbc;

import java.time.Duration;

import io.github.litestream.storage.ReplicaClient;

/**
 * One replica of one database, as configured.
 *
 * @param name the replica name
 * @param url the configured URL, as shown by the endpoint (never with credentials)
 * @param client the storage client
 * @param syncInterval the upload cadence
 */
public record Replica(String name, String url, ReplicaClient client, Duration syncInterval) {
}
