package io.github.litestream.ownership;

import java.io.IOException;
import java.time.Clock;
import java.util.List;

import io.github.litestream.storage.LeaseObject;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the other live instance that holds a database's lease, read once per replica
 * before a start decides whether to be a warm successor (DESIGN 4.16).
 */
final class LiveHolder {

	private static final Logger logger = LoggerFactory.getLogger(LiveHolder.class);

	private LiveHolder() {
	}

	/**
	 * Returns the holder of a lease that is not expired and names neither this run nor
	 * the previous run on this disk (that one is taken back at once).
	 * @param database the database name
	 * @param replicas the replicas
	 * @param clock the wall clock the leases' expiry is read with
	 * @param instance this run's instance ID
	 * @param previous the previous run's instance ID on this disk, or {@code null}
	 * @return the holder ({@code host:pid}), or {@code null} when no other instance holds
	 * a lease, or one cannot be read or parsed (then the leases are taken as before)
	 */
	static @Nullable String find(String database, List<DatabaseOwnership.Replica> replicas, Clock clock,
			String instance, @Nullable String previous) {
		for (DatabaseOwnership.Replica replica : replicas) {
			try {
				LeaseObject stored = replica.client().readLease();
				if (stored == null) {
					continue;
				}
				LeaseRecord record = LeaseRecord.parse(stored.content());
				String holder = record.instance();
				if (record.isExpiredAt(clock.instant()) || holder == null || holder.equals(instance)
						|| holder.equals(previous)) {
					continue;
				}
				return (record.owner() != null) ? record.owner() : holder;
			}
			catch (IOException | IllegalArgumentException ex) {
				logger.debug("Lease of replica '{}' of database '{}' not read before the start: {}", replica.name(),
						database, ex.getMessage());
				return null;
			}
		}
		return null;
	}

}
