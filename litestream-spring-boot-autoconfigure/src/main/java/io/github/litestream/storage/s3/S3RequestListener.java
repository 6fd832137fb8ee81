package io.github.litestream.storage.s3;

/**
 * Observes every request an {@link S3ReplicaClient} makes, for example to count requests
 * and bytes per {@link S3Operation} in metrics. Kept free of any metrics library so that
 * the storage package stays usable on its own.
 * <p>
 * Called on the thread that made the request, right after it finished; implementations
 * must be fast and thread-safe. An exception thrown by a listener is ignored, so a broken
 * listener never fails replication.
 */
@FunctionalInterface
public interface S3RequestListener {

	/**
	 * A listener that does nothing.
	 */
	S3RequestListener NO_OP = (event) -> {
	};

	/**
	 * Called once per request, whatever its outcome.
	 * @param event what was requested and how it ended
	 */
	void onRequest(S3RequestEvent event);

}
