package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.util.List;

import io.github.litestream.core.ReplicationListener;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Starts replication of every database before the web server takes traffic and stops it
 * (with a final sync bounded by {@code litestream.shutdown-sync-timeout}) after the web
 * server has drained.
 */
public final class LitestreamLifecycle implements SmartLifecycle {

	/**
	 * Below the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}) and its
	 * start/stop ({@code DEFAULT_PHASE - 2048}): starts before, stops after both.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 3072;

	private final LitestreamDatabases databases;

	private final ObjectProvider<ReplicationListener> listeners;

	private volatile boolean running;

	/**
	 * Creates the lifecycle.
	 * @param databases the databases
	 * @param listeners the listeners that receive engine events
	 */
	public LitestreamLifecycle(LitestreamDatabases databases, ObjectProvider<ReplicationListener> listeners) {
		this.databases = databases;
		this.listeners = listeners;
	}

	@Override
	public void start() {
		List<ReplicationListener> listeners = this.listeners.orderedStream().toList();
		for (LitestreamDatabase database : this.databases.getAll()) {
			database.setListeners(listeners);
			database.restoreOnStartupIfNeeded();
			if (database.getOwnership().isStandby()) {
				// Taken over once the web server listens (LitestreamTakeover); until then
				// requests are sent to the serving instance
				database.startupDone();
			}
			else {
				start(database);
			}
		}
		this.running = true;
	}

	/**
	 * Starts replication of one database (a warm successor takes it over first).
	 * @param database the database
	 * @throws IllegalStateException if it cannot start, naming the database
	 */
	static void start(LitestreamDatabase database) {
		try {
			database.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException(
					"Cannot start replication of database '" + database.getName() + "': " + ex.getMessage(), ex);
		}
	}

	@Override
	public void stop() {
		this.running = false;
		for (LitestreamDatabase database : this.databases.getAll()) {
			database.stop();
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

}
