package io.github.litestream.autoconfigure;

import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * Creates the {@link ReplicaClient} of a replica URL scheme. One bean per scheme; the
 * file factory is always present, the S3 factory when the AWS SDK is.
 */
public interface ReplicaClientFactory {

	/**
	 * Returns whether this factory handles a URL scheme.
	 * @param scheme the lower-case scheme; {@code "file"} for plain paths
	 * @return whether {@link #create} accepts URLs of that scheme
	 */
	boolean supports(String scheme);

	/**
	 * Creates the client of one replica of one database.
	 * @param replica the replica properties
	 * @param property the property prefix of the replica, for messages (for example
	 * {@code litestream.replicas[0]})
	 * @param database the database name to append to the location when several databases
	 * share the replica, or {@code null} to use the location as it is
	 * @return the client
	 * @throws LitestreamConfigurationException if the replica settings are unusable
	 */
	ReplicaClient create(LitestreamProperties.Replica replica, String property, @Nullable String database);

	/**
	 * Creates the client of one replica of one database, knowing the names that messages
	 * and metrics carry. By default the same as
	 * {@link #create(LitestreamProperties.Replica, String, String)}.
	 * @param replica the replica properties
	 * @param property the property prefix of the replica, for messages
	 * @param target the database and replica names
	 * @return the client
	 * @throws LitestreamConfigurationException if the replica settings are unusable
	 */
	default ReplicaClient create(LitestreamProperties.Replica replica, String property, Target target) {
		return create(replica, property, target.shared() ? target.database() : null);
	}

	/**
	 * The database and replica a client is created for.
	 *
	 * @param database the database name (the DataSource bean name)
	 * @param replica the replica name
	 * @param shared whether several databases share the replica, so that each one
	 * replicates under {@code <location>/<database>}
	 */
	record Target(String database, String replica, boolean shared) {

	}

}
