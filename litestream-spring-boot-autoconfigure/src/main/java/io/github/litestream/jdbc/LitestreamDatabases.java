package io.github.litestream.jdbc;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Every replicated database of the application, by DataSource bean name. Filled by the
 * DataSource wrapping post-processor; read by the lifecycle, the endpoint, the health
 * indicator and the meters.
 */
public final class LitestreamDatabases {

	private final Map<String, LitestreamDatabase> databases = Collections.synchronizedMap(new LinkedHashMap<>());

	/**
	 * Registers a database.
	 * @param database the database
	 */
	public void register(LitestreamDatabase database) {
		this.databases.put(database.getName(), database);
	}

	/**
	 * Returns a database by name.
	 * @param name the DataSource bean name
	 * @return the database, or {@code null}
	 */
	public @Nullable LitestreamDatabase get(String name) {
		return this.databases.get(name);
	}

	/**
	 * Returns every database, in registration order.
	 * @return the databases
	 */
	public List<LitestreamDatabase> getAll() {
		synchronized (this.databases) {
			return new ArrayList<>(this.databases.values());
		}
	}

	/**
	 * Returns the names of every database.
	 * @return the names
	 */
	public Collection<String> getNames() {
		synchronized (this.databases) {
			return List.copyOf(this.databases.keySet());
		}
	}

}
