package io.github.litestream.restore;

/**
 * The SQLite check a restore runs on the restored file before it replaces the target.
 */
public enum IntegrityCheck {

	/** No check beyond the LTX checksums. */
	NONE,

	/** {@code PRAGMA quick_check}. */
	QUICK,

	/** {@code PRAGMA integrity_check}. */
	FULL

}
