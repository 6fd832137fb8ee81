package io.github.litestream.ltx;

/**
 * The 16-byte trailer that ends every LTX file.
 *
 * @param postApplyChecksum the rolling database checksum after the file is applied, or
 * {@code 0} when the header has {@link LtxHeader#FLAG_NO_CHECKSUM} (as in every file
 * Litestream writes)
 * @param fileChecksum {@code FLAG | CRC64} over the file's checksum stream (LTX-SPEC
 * section 5.2); always has bit 63 set
 */
public record LtxTrailer(long postApplyChecksum, long fileChecksum) {

	/**
	 * The size of the trailer in bytes.
	 */
	public static final int SIZE = 16;

	@Override
	public String toString() {
		return String.format("LtxTrailer[postApplyChecksum=%016x, fileChecksum=%016x]", this.postApplyChecksum,
				this.fileChecksum);
	}

}
