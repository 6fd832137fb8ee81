package io.github.litestream.ltx;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * Tests for {@link LtxHeader}: layout and the validation rules of LTX-SPEC section 3.3.
 */
class LtxHeaderTests {

	private static final long FLAG = LtxChecksum.FLAG;

	@Test
	void encodesEveryFieldBigEndianAtItsOffset() {
		LtxHeader header = new LtxHeader(2, 4096, 10, 0x0102030405060708L, 0x1112131415161718L, 1700000001234L, 0, 32,
				12360, 0x4875a40b, 0xa38de4f5, 0x2122232425262728L);
		assertThat(HexFormat.of().formatHex(header.encode()))
			.isEqualTo("4c545831" + "00000002" + "00001000" + "0000000a" + "0102030405060708" + "1112131415161718"
					+ "0000018bcfe56cd2" + "0000000000000000" + "0000000000000020" + "0000000000003048" + "4875a40b"
					+ "a38de4f5" + "2122232425262728" + "00".repeat(20));
	}

	@Test
	void decodeReversesEncode() throws LtxFormatException {
		LtxHeader header = new LtxHeader(0, 65536, -2, 5, -1L, -7, FLAG | 9, 32, 64, -1, 1, -1L);
		assertThat(LtxHeader.decode(header.encode())).isEqualTo(header);
	}

	@Test
	void decodeIgnoresReservedBytes() throws LtxFormatException {
		byte[] bytes = LtxHeader.of(4096, 3, 1, 1, 0).encode();
		bytes[99] = 7;
		assertThat(LtxHeader.decode(bytes)).isEqualTo(LtxHeader.of(4096, 3, 1, 1, 0));
	}

	@Test
	void ofCreatesLitestreamStyleHeader() {
		LtxHeader header = LtxHeader.of(4096, 3, 7, 8, 1234);
		assertThat(header).isEqualTo(new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, 4096, 3, 7, 8, 1234, 0, 0, 0, 0, 0, 0));
		assertThat(header.isNoChecksum()).isTrue();
		assertThat(header.isSnapshot()).isFalse();
		assertThat(LtxHeader.of(4096, 3, 1, 8, 1234).isSnapshot()).isTrue();
		assertThat(header.lockPage()).isEqualTo(262145);
	}

	@Test
	void withWalSetsOnlyWalFields() {
		LtxHeader header = LtxHeader.of(4096, 3, 7, 8, 1234).withWal(32, 4120, 1, 2);
		assertThat(header).isEqualTo(new LtxHeader(2, 4096, 3, 7, 8, 1234, 0, 32, 4120, 1, 2, 0));
	}

	@Test
	void rejectsBadMagicAndShortInput() {
		byte[] bytes = LtxHeader.of(4096, 3, 1, 1, 0).encode();
		bytes[3] = '2';
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> LtxHeader.decode(bytes))
			.withMessageContaining("not an LTX file")
			.withMessageContaining("0x4c545832");
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> LtxHeader.decode(new byte[99]))
			.withMessageContaining("too short");
	}

	@Test
	void validatesFlags() {
		assertInvalid(new LtxHeader(1, 4096, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0), "invalid header flags 0x00000001");
		assertInvalid(new LtxHeader(6, 4096, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0), "invalid header flags");
		assertValid(new LtxHeader(0, 4096, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0));
	}

	@Test
	void validatesPageSize() {
		for (int size = 512; size <= 65536; size *= 2) {
			assertValid(LtxHeader.of(size, 1, 1, 1, 0));
		}
		for (int size : new int[] { 0, 256, 1000, 131072, -65536 }) {
			assertInvalid(LtxHeader.of(size, 1, 1, 1, 0), "invalid page size");
		}
	}

	@Test
	void validatesTxids() {
		assertInvalid(LtxHeader.of(4096, 1, 0, 1, 0), "minimum TXID is 0");
		assertInvalid(LtxHeader.of(4096, 1, 1, 0, 0), "maximum TXID is 0");
		assertInvalid(LtxHeader.of(4096, 1, 3, 2, 0), "TXIDs out of order");
		// TXIDs are unsigned: 0xffff... is the largest, not negative.
		assertValid(LtxHeader.of(4096, 1, 2, -1L, 0));
		assertInvalid(LtxHeader.of(4096, 1, -1L, 2, 0), "TXIDs out of order");
	}

	@Test
	void validatesWalFields() {
		LtxHeader base = LtxHeader.of(4096, 1, 2, 2, 0);
		assertInvalid(base.withWal(-1, 0, 0, 0), "negative WAL offset");
		assertInvalid(base.withWal(32, -1, 0, 0), "negative WAL size");
		assertInvalid(base.withWal(0, 0, 1, 0), "WAL salts");
		assertInvalid(base.withWal(0, 0, 0, 1), "WAL salts");
		assertInvalid(base.withWal(0, 10, 0, 0), "WAL size 10");
		assertValid(base.withWal(32, 0, 1, 2));
		assertValid(base.withWal(32, 4120, 0, 0));
	}

	@Test
	void validatesPreApplyChecksum() {
		assertInvalid(new LtxHeader(0, 4096, 1, 1, 1, 0, FLAG | 1, 0, 0, 0, 0, 0), "must be 0 in a snapshot");
		assertInvalid(new LtxHeader(2, 4096, 1, 1, 1, 0, FLAG | 1, 0, 0, 0, 0, 0), "must be 0 in a snapshot");
		assertInvalid(new LtxHeader(2, 4096, 1, 2, 2, 0, FLAG | 1, 0, 0, 0, 0, 0), "NoChecksum");
		assertInvalid(new LtxHeader(0, 4096, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0), "pre-apply checksum required");
		assertInvalid(new LtxHeader(0, 4096, 1, 2, 2, 0, 1, 0, 0, 0, 0, 0), "bit 63");
		assertValid(new LtxHeader(0, 4096, 1, 2, 2, 0, FLAG | 1, 0, 0, 0, 0, 0));
		assertValid(new LtxHeader(0, 4096, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0));
	}

	@Test
	void doesNotCheckCommitTimestampOrNodeId() {
		assertValid(new LtxHeader(2, 4096, 0, 2, 2, -5, 0, 0, 0, 0, 0, -1L));
	}

	@Test
	void toStringShowsTxidsAsHex() {
		assertThat(LtxHeader.of(4096, 3, 1, 255, 0).toString()).contains("maxTxid=00000000000000ff");
	}

	private static void assertValid(LtxHeader header) {
		assertThatNoException().isThrownBy(header::validate);
	}

	private static void assertInvalid(LtxHeader header, String message) {
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(header::validate).withMessageContaining(message);
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> LtxHeader.decode(header.encode()))
			.withMessageContaining(message);
	}

}
