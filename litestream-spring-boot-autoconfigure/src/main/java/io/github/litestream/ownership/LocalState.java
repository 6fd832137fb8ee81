package io.github.litestream.ownership;

import java.io.IOException;

import org.jspecify.annotations.Nullable;

/**
 * Whether the local database is behind a replica: then a lease of this instance's
 * previous run is not taken back at once, since someone else wrote the replica after this
 * disk's state, or this disk was rolled back.
 */
@FunctionalInterface
public interface LocalState {

	/**
	 * Says why the local database is not at or past every replica.
	 * @return why, or {@code null} when it is at or past every replica
	 * @throws IOException if the local state or a replica cannot be read
	 */
	@Nullable String whyBehind() throws IOException;

}
