package io.github.litestream.storage.s3;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * Remembers the exact timestamp ({@code litestream-timestamp} metadata) of objects this
 * client has written or already asked S3 about, so that a listing needs a
 * {@code HeadObject} request only for objects it has not seen in that version.
 * <p>
 * An entry is tied to the object version the listing shows, recognised by its ETag and
 * last-modified time: an object replaced by another writer no longer matches and is asked
 * about again. Entries of objects that a full listing of their level no longer shows are
 * dropped, so the cache holds about one small entry per file on the replica.
 */
final class TimestampCache {

	private final Map<String, Entry> entries = new ConcurrentHashMap<>();

	/**
	 * Returns the timestamp of an object version, if known.
	 * @param key the object key
	 * @param eTag the ETag the listing shows, if any
	 * @param lastModified the last-modified time the listing shows, if any
	 * @return the timestamp, or {@code null} when this version was never seen
	 */
	@Nullable Instant lookup(String key, @Nullable String eTag, @Nullable Instant lastModified) {
		Entry entry = this.entries.get(key);
		if (entry == null || !entry.matches(eTag, lastModified)) {
			return null;
		}
		if (entry.lastModified == null && lastModified != null) {
			// Learnt from our own write, whose response carries no last-modified time:
			// pin the version now, so a later replacement with equal content is noticed
			this.entries.replace(key, entry, new Entry(entry.eTag, entry.createdAt, lastModified));
		}
		return entry.createdAt;
	}

	/**
	 * Records the timestamp of an object version.
	 * @param key the object key
	 * @param eTag its ETag, if known
	 * @param createdAt its timestamp
	 * @param lastModified its last-modified time as a listing shows it, if known
	 */
	void put(String key, @Nullable String eTag, Instant createdAt, @Nullable Instant lastModified) {
		this.entries.put(key, new Entry(normalizeETag(eTag), createdAt, lastModified));
	}

	/**
	 * Forgets an object.
	 * @param key the object key
	 */
	void remove(String key) {
		this.entries.remove(key);
	}

	/**
	 * Forgets every object under a prefix that is not among the given keys, after a full
	 * listing of that prefix.
	 * @param prefix the listed prefix
	 * @param listed the keys the listing showed
	 */
	void retainListed(String prefix, Collection<String> listed) {
		this.entries.keySet().removeIf((key) -> key.startsWith(prefix) && !listed.contains(key));
	}

	/**
	 * Returns how many objects are remembered.
	 * @return the number of entries
	 */
	int size() {
		return this.entries.size();
	}

	/**
	 * Returns an ETag without the quotes S3 puts around it, so that values from different
	 * responses compare equal.
	 * @param eTag the ETag as sent
	 * @return the bare ETag, or {@code null}
	 */
	static @Nullable String normalizeETag(@Nullable String eTag) {
		if (eTag == null || eTag.isBlank()) {
			return null;
		}
		String bare = eTag.strip();
		if (bare.length() >= 2 && bare.startsWith("\"") && bare.endsWith("\"")) {
			bare = bare.substring(1, bare.length() - 1);
		}
		return bare;
	}

	private record Entry(@Nullable String eTag, Instant createdAt, @Nullable Instant lastModified) {

		boolean matches(@Nullable String eTag, @Nullable Instant lastModified) {
			String listed = normalizeETag(eTag);
			boolean sameETag = this.eTag == null || listed == null || this.eTag.equals(listed);
			boolean sameTime = this.lastModified == null || lastModified == null
					|| Objects.equals(this.lastModified, lastModified);
			return sameETag && sameTime;
		}

	}

}
