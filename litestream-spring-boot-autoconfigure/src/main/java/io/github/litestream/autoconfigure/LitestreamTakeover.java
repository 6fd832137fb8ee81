package io.github.litestream.autoconfigure;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;

import org.springframework.context.SmartLifecycle;

/**
 * Takes a warm successor's databases over (DESIGN 4.16) right after the web server
 * started listening, the last step before the application is ready: the instance that
 * serves them hands them over, this one catches up and serves. Requests that reach the
 * web server before wait for it at the DataSource
 * ({@link LitestreamDatabase#startupDone()}), so the clients' gap is the handover and the
 * catch-up, not the web server's start. An instance that is not a warm successor started
 * replicating in {@link LitestreamLifecycle}.
 */
public final class LitestreamTakeover implements SmartLifecycle {

	/**
	 * Right after the web server's start ({@code DEFAULT_PHASE - 2048}), before its
	 * graceful shutdown phase.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2047;

	private final LitestreamDatabases databases;

	private volatile boolean running;

	/**
	 * Creates the lifecycle.
	 * @param databases the databases
	 */
	public LitestreamTakeover(LitestreamDatabases databases) {
		this.databases = databases;
	}

	@Override
	public void start() {
		for (LitestreamDatabase database : this.databases.getAll()) {
			if (!database.getOwnership().isStandby()) {
				continue;
			}
			LitestreamLifecycle.start(database);
		}
		this.running = true;
	}

	@Override
	public void stop() {
		// LitestreamLifecycle stops replication, after the web server drained
		this.running = false;
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
