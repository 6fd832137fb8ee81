package io.github.litestream.replication;

import io.github.litestream.wal.WalHeader;

/**
 * Where the next incremental read of the WAL starts: the generation (salts), the offset
 * just after the last frame shipped, and the cumulative checksum at that offset.
 */
record WalPosition(int salt1, int salt2, long offset, int checksum1, int checksum2) {

	boolean sameGeneration(WalHeader header) {
		return header.salt1() == this.salt1 && header.salt2() == this.salt2;
	}

	boolean atStart() {
		return this.offset <= WalHeader.SIZE;
	}

}
