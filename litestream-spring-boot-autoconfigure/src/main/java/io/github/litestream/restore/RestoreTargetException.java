package io.github.litestream.restore;

import org.jspecify.annotations.Nullable;

/**
 * The replica holds a backup, but not the requested state: the target lies before the
 * oldest snapshot, after the newest TXID, or inside a range that survives only compacted.
 * The message names the range that can be restored.
 */
public class RestoreTargetException extends RestoreException {

	private final RestoreTarget target;

	private final @Nullable RestorableRange range;

	/**
	 * Creates an exception.
	 * @param message what failed and what to restore instead
	 * @param target the target that cannot be restored
	 * @param range what the replica can restore, or {@code null} if it holds no snapshot
	 */
	public RestoreTargetException(String message, RestoreTarget target, @Nullable RestorableRange range) {
		super(message);
		this.target = target;
		this.range = range;
	}

	/**
	 * Returns the target that cannot be restored.
	 * @return the target
	 */
	public RestoreTarget getTarget() {
		return this.target;
	}

	/**
	 * Returns what the replica can restore.
	 * @return the range, or {@code null} if the replica holds no snapshot
	 */
	public @Nullable RestorableRange getRange() {
		return this.range;
	}

}
