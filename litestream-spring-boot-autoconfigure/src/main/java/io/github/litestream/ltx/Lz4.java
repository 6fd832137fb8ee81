package io.github.litestream.ltx;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;
import org.jspecify.annotations.Nullable;

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
	 * Decompression runs on bytes from storage, which may be corrupt or hostile, so only
	 * the bounds-checked safe decompressor is used (never the "fast" one, which trusts
	 * its input). The native one ({@code LZ4_decompress_safe}) is about a hundred times
	 * faster than the pure-Java one on long runs of equal bytes, which SQLite pages are
	 * full of; lz4-java falls back to Java when the native library does not load.
	 */
	static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.fastestInstance().safeDecompressor();

	static final XXHash32 XXH32 = XXHashFactory.fastestInstance().hash32();

	static {
		byte[] descriptor = { (byte) FRAME_FLG, (byte) FRAME_BD };
		FRAME_HC = (XXH32.hash(descriptor, 0, 2, 0) >>> 8) & 0xFF;
	}

	private Lz4() {
	}

	/**
	 * Finds the two encodings that LZ4 decoders silently accept although no compressor
	 * writes them: a match offset of 0 (invalid by the LZ4 block format; lz4-java decodes
	 * it as zeros) and a match length in the token of the final, literals-only sequence
	 * (ignored by decoders). Because the LTX file checksum covers decoded pages, not
	 * compressed bytes, a corrupted byte that turns a valid block into one of these could
	 * otherwise go unnoticed whenever the output happens to be unchanged. Everything else
	 * that is malformed is left to the decompressor.
	 * @return what is wrong, or {@code null}
	 */
	static @Nullable String checkBlock(byte[] src, int len) {
		int i = 0;
		while (i < len) {
			int token = src[i++] & 0xFF;
			int literals = token >>> 4;
			if (literals == 15) {
				int b;
				do {
					if (i >= len) {
						return null;
					}
					b = src[i++] & 0xFF;
					literals += b;
				}
				while (b == 255);
			}
			i += literals;
			if (i >= len) {
				return ((i == len) && (token & 0x0F) != 0)
						? "the final sequence carries a match length (token 0x" + Integer.toHexString(token) + ")"
						: null;
			}
			if (i + 2 > len) {
				return null;
			}
			if (src[i] == 0 && src[i + 1] == 0) {
				return "match offset 0 at block byte " + i;
			}
			i += 2;
			if ((token & 0x0F) == 15) {
				int b;
				do {
					if (i >= len) {
						return null;
					}
					b = src[i++] & 0xFF;
				}
				while (b == 255);
			}
		}
		return null;
	}

	/**
	 * Returns the largest raw LZ4 block a page can compress to, {@code P + P/255 + 16}
	 * (the same bound as pierrec/lz4's {@code CompressBlockBound}).
	 */
	static int maxBlockLength(int pageSize) {
		return pageSize + pageSize / 255 + 16;
	}

}
