package io.github.litestream.wal;

/**
 * The two salt values that identify one generation of a WAL. SQLite adds 1 to
 * {@code salt1} and picks a new random {@code salt2} each time it restarts the log, so a
 * frame belongs to the current generation only when both match the header's.
 *
 * @param salt1 the first salt (an unsigned 32-bit value)
 * @param salt2 the second salt (an unsigned 32-bit value)
 */
public record WalSalts(int salt1, int salt2) {

	/**
	 * Returns the salts as {@code salt1/salt2} in 8-digit lower-case hex, the form
	 * Litestream logs.
	 * @return the formatted salts
	 */
	@Override
	public String toString() {
		return String.format("%08x/%08x", this.salt1, this.salt2);
	}

}
