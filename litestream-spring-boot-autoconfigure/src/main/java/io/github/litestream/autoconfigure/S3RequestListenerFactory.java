package io.github.litestream.autoconfigure;

import io.github.litestream.storage.s3.S3RequestListener;

/**
 * Supplies the {@link S3RequestListener} of each S3 replica of each database, so that
 * request counts can be tagged with both names. Implemented by the metrics binder; kept
 * free of Spring and of any metrics library so that the S3 client factory depends on
 * neither.
 * <p>
 * Beans of this type are picked up by the S3 replica client factory, in order; every
 * listener they return is told about every request of that replica.
 */
@FunctionalInterface
public interface S3RequestListenerFactory {

	/**
	 * Returns the listener of one replica of one database.
	 * @param database the database name (the DataSource bean name)
	 * @param replica the replica name
	 * @return the listener, or {@link S3RequestListener#NO_OP}
	 */
	S3RequestListener create(String database, String replica);

}
