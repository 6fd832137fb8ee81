package io.github.litestream.storage;

import java.util.Arrays;
import java.util.Objects;

/**
 * The lease object of a replica as stored: its bytes and the version the store gave them
 * (the S3 ETag; a content hash on a file replica). The version is what a conditional
 * replace ({@link ReplicaClient#replaceLease}) must name.
 *
 * @param content the stored bytes (the lease as JSON)
 * @param version the opaque version of exactly these bytes
 */
public record LeaseObject(byte[] content, String version) {

	/**
	 * Validates and copies the content.
	 * @param content the stored bytes
	 * @param version the version
	 */
	public LeaseObject {
		Objects.requireNonNull(content, "content");
		Objects.requireNonNull(version, "version");
		content = content.clone();
	}

	/**
	 * Returns a copy of the stored bytes.
	 * @return the content
	 */
	@Override
	public byte[] content() {
		return this.content.clone();
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof LeaseObject that && Arrays.equals(this.content, that.content)
				&& this.version.equals(that.version);
	}

	@Override
	public int hashCode() {
		return 31 * Arrays.hashCode(this.content) + this.version.hashCode();
	}

	@Override
	public String toString() {
		return "LeaseObject[" + this.content.length + " bytes, version " + this.version + "]";
	}

}
