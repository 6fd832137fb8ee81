package io.github.litestream.ltx;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link Crc64}.
 */
class Crc64Tests {

	@Test
	void checkValueMatchesCatalogue() {
		byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
		assertThat(Crc64.update(0, b, 0, b.length)).isEqualTo(0xB90956C775A41001L);
	}

	@Test
	void emptyInputLeavesStateUnchanged() {
		assertThat(Crc64.update(0, new byte[0], 0, 0)).isZero();
		assertThat(Crc64.update(0x1234L, new byte[3], 1, 0)).isEqualTo(0x1234L);
	}

	@Test
	void incrementalUpdatesEqualOneCallOverTheConcatenation() {
		byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
		long crc = Crc64.update(0, b, 0, 4);
		crc = Crc64.update(crc, b, 4, 5);
		assertThat(crc).isEqualTo(0xB90956C775A41001L);
	}

	@Test
	void slicedImplementationMatchesBytewiseDefinitionForEveryLengthAndSplit() {
		Random random = new Random(42);
		byte[] data = new byte[300];
		random.nextBytes(data);
		for (int off = 0; off < 9; off++) {
			for (int len = 0; len + off <= data.length; len += (len < 40) ? 1 : 37) {
				long expected = bytewise(0, data, off, len);
				assertThat(Crc64.update(0, data, off, len)).as("off %d len %d", off, len).isEqualTo(expected);
				int split = random.nextInt(len + 1);
				long crc = Crc64.update(0, data, off, split);
				assertThat(Crc64.update(crc, data, off + split, len - split)).isEqualTo(expected);
			}
		}
	}

	@Test
	void rejectsRangesOutsideTheArray() {
		assertThatExceptionOfType(IndexOutOfBoundsException.class).isThrownBy(() -> Crc64.update(0, new byte[4], 2, 3));
	}

	/** The definition from LTX-SPEC section 5.1, one table lookup per byte. */
	private static long bytewise(long state, byte[] b, int off, int len) {
		long c = ~state;
		for (int i = off; i < off + len; i++) {
			long x = (c ^ b[i]) & 0xFF;
			for (int k = 0; k < 8; k++) {
				x = ((x & 1) != 0) ? (x >>> 1) ^ 0xD800000000000000L : x >>> 1;
			}
			c = x ^ (c >>> 8);
		}
		return ~c;
	}

}
