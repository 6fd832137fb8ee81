package io.github.litestream.ltx;

/**
 * How an encoder stores each page (LTX-SPEC sections 4.2 and 4.3). Decoders read both,
 * even mixed within one file.
 */
public enum PageEncoding {

	/**
	 * Page flag 0: one LZ4 frame per page, in exactly the shape ltx v0.5.0/v0.5.1 writes
	 * (FLG {@code 0x64}, BD {@code 0x40}, one block stored raw when it does not compress,
	 * end mark, XXH32 content checksum). Readable by every Litestream v0.5.x.
	 */
	FRAME,

	/**
	 * Page flag 1: a 4-byte size followed by a raw LZ4 block, as ltx v0.5.2 writes.
	 * Readable only by Litestream v0.5.16 and later.
	 */
	BLOCK

}
