package io.github.litestream.replication;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * The application's way into a database, as the engine's sequencing sees it: a handover
 * and an in-place restore pause it (transactions in flight finish, new callers wait), and
 * every change of ownership is told to it, so callers that wait learn at once that this
 * instance no longer serves the database. Implemented by the DataSource wrapper.
 */
public interface ConnectionGate {

	/**
	 * Stops handing out connections and waits until every borrowed connection has been
	 * returned.
	 * @param drainTimeout how long to wait for borrowed connections
	 * @throws TimeoutException if connections are still borrowed after the timeout; the
	 * gate is then open again
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	void pause(Duration drainTimeout) throws TimeoutException, InterruptedException;

	/**
	 * Lets waiting and new callers through again.
	 */
	void resume();

	/**
	 * Wakes callers waiting at a paused gate after the database's ownership changed.
	 */
	void ownershipChanged();

}
