package io.github.litestream.testsupport;

import java.nio.file.Path;
import java.time.Instant;

/**
 * One LTX file found in a file replica or in Litestream's local meta directory.
 *
 * @param path the file
 * @param level the compaction level (0 = one file per sync, 9 = snapshots)
 * @param minTxid the first TXID covered, from the file name
 * @param maxTxid the last TXID covered, from the file name
 * @param size the size in bytes
 * @param lastModified the file's mtime, which Litestream sets to the header timestamp
 */
public record LtxFile(Path path, int level, long minTxid, long maxTxid, long size, Instant lastModified) {

	/**
	 * Reads this file's header.
	 * @return the header
	 */
	public LtxHeader header() {
		return LtxHeader.read(this.path);
	}

	/**
	 * The file's name, {@code %016x-%016x.ltx}.
	 * @return the name
	 */
	public String name() {
		return this.path.getFileName().toString();
	}

	@Override
	public String toString() {
		return "ltx/" + this.level + "/" + name() + " (" + this.size + " bytes, mtime " + this.lastModified + ")";
	}

}
