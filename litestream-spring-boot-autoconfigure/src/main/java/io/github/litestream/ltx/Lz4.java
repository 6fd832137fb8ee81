package io.github.litestream.ltx;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The LZ4 pieces LTX needs, shared by the encoder and the decoder.
 */
final class Lz4 {

	/** LZ4 frame magic, stored little-endian as {@code 04 22 4D 18}. */
	static final int FRAME_MAGIC = 0x184D2204;

	/** FLG of the reference writer: version 01, independent blocks, content checksum. */
	static final int FRAME_FLG = 0x64;

	/** BD of the reference writer: 64 KiB maximum block size. */
	static final int FRAME_BD = 0x40;

	/** The descriptor checksum byte for {@link #FRAME_FLG} and {@link #FRAME_BD}. */
	static final int FRAME_HC;

	/** Magic, FLG, BD, HC, block size, end mark and content checksum. */
	static final int FRAME_OVERHEAD = 19;

	/** Bit 31 of an LZ4 frame block size: the block is stored uncompressed. */
	static final int BLOCK_UNCOMPRESSED = 0x80000000;

	/**
	 * Compression runs on our own pages, so the fastest implementation (native when it
	 * loads) is fine.
	 */
	static final LZ4Compressor COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();

	/**
	 * Decompression runs on bytes from storage, which may be corrupt or hostile: use the
	 * bounds-checked pure-Java safe decompressor.
	 */
	static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.safeInstance().safeDecompressor();

	static final XXHash32 XXH32 = XXHashFactory.fastestInstance().hash32();

	static {
		byte[] descriptor = { (byte) FRAME_FLG, (byte) FRAME_BD };
		FRAME_HC = (XXH32.hash(descriptor, 0, 2, 0) >>> 8) & 0xFF;
	}

	private Lz4() {
	}

	/**
	 * Returns the largest raw LZ4 block a page can compress to, {@code P + P/255 + 16}
	 * (the same bound as pierrec/lz4's {@code CompressBlockBound}).
	 */
	static int maxBlockLength(int pageSize) {
		return pageSize + pageSize / 255 + 16;
	}

}
