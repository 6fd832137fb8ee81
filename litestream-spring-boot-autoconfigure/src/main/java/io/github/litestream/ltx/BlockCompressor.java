package io.github.litestream.ltx;

/**
 * Compresses one page into a raw LZ4 block. The encoder uses lz4-java's fast compressor;
 * tests plug in compressors that reproduce the exact blocks of other writers.
 */
@FunctionalInterface
interface BlockCompressor {

	/**
	 * Compresses {@code src[srcOff, srcOff + srcLen)} into {@code dst} at {@code dstOff}.
	 * @return the length of the compressed block
	 */
	int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int maxDstLen);

}
