package io.github.litestream.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Reading and validating the 32-byte WAL header.
 */
class WalHeaderTests {

	@TempDir
	Path temp;

	@Test
	void emptyFileHasNoHeader() throws IOException {
		assertThat(read(new byte[0])).isNull();
	}

	@Test
	void missingFileHasNoHeader() throws IOException {
		assertThat(WalHeader.read(this.temp.resolve("absent-wal"))).isEmpty();
	}

	@Test
	void headerShorterThan32BytesIsTreatedAsNoWal() throws IOException {
		byte[] wal = new TestWals.Builder(false, 512, 1, 2).build();
		assertThat(read(Arrays.copyOf(wal, 31))).isNull();
	}

	@Test
	void tornHeaderWithChecksumMismatchIsTreatedAsNoWal() throws IOException {
		byte[] wal = new TestWals.Builder(false, 512, 1, 2).frame(1, 1, 1).build();
		wal[17] ^= 1;
		assertThat(read(wal)).isNull();
	}

	@Test
	void badMagicThrowsNamingTheFile() throws IOException {
		byte[] wal = new TestWals.Builder(false, 512, 1, 2).build();
		TestWals.putBe(wal, 0, 0x12345678);
		Path file = Files.write(this.temp.resolve("db-wal"), wal);
		try (FileChannel channel = TestWals.open(file)) {
			assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> WalHeader.read(channel, file))
				.withMessageContaining(file.toString())
				.withMessageContaining("0x12345678")
				.satisfies((ex) -> assertThat(ex.getFile()).isEqualTo(file));
		}
		assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> WalHeader.read(file))
			.withMessageContaining(file.toString());
	}

	@Test
	void badMagicIsReportedEvenWhenTheChecksumIsWrong() throws IOException {
		// Litestream checks the magic before the checksum: garbage is an error, not a
		// torn
		// header.
		byte[] wal = new byte[32];
		Arrays.fill(wal, (byte) 0x5A);
		assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> read(wal)).withMessageContaining("magic");
	}

	@Test
	void unsupportedVersionThrows() throws IOException {
		byte[] wal = rewriteHeaderField(new TestWals.Builder(false, 512, 1, 2).build(), 4, 3007001);
		assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> read(wal))
			.withMessageContaining("3007001");
	}

	@Test
	void invalidPageSizeThrows() throws IOException {
		byte[] wal = rewriteHeaderField(new TestWals.Builder(false, 512, 1, 2).build(), 8, 1000);
		assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> read(wal))
			.withMessageContaining("page size 1000");
	}

	@Test
	void maximumPageSizeIsAccepted() throws IOException {
		WalHeader header = read(new TestWals.Builder(true, 65536, 1, 2).build());
		assertThat(header).isNotNull();
		assertThat(header.pageSize()).isEqualTo(65536);
		assertThat(header.frameSize()).isEqualTo(65560);
	}

	@Test
	void bigEndianMagicSelectsBigEndianChecksums() throws IOException {
		WalHeader header = read(new TestWals.Builder(true, 1024, 0xCAFEBABE, 0xDEADBEEF).build());
		assertThat(header).isNotNull();
		assertThat(header.magic()).isEqualTo(WalHeader.MAGIC_BIG_ENDIAN);
		assertThat(header.bigEndianChecksums()).isTrue();
		assertThat(header.salts()).isEqualTo(new WalSalts(0xCAFEBABE, 0xDEADBEEF));
		assertThat(header.salts()).hasToString("cafebabe/deadbeef");
	}

	@Test
	void sameGenerationComparesBothSalts() {
		WalHeader header = new WalHeader(WalHeader.MAGIC_LITTLE_ENDIAN, 3007000, 4096, 0, 10, 20, 0, 0);
		assertThat(header.sameGeneration(new WalHeader(WalHeader.MAGIC_LITTLE_ENDIAN, 3007000, 4096, 5, 10, 20, 1, 1)))
			.isTrue();
		assertThat(header.sameGeneration(new WalHeader(WalHeader.MAGIC_LITTLE_ENDIAN, 3007000, 4096, 1, 11, 20, 0, 0)))
			.isFalse();
		assertThat(header.sameGeneration(new WalHeader(WalHeader.MAGIC_LITTLE_ENDIAN, 3007000, 4096, 0, 10, 21, 0, 0)))
			.isFalse();
	}

	@Test
	void frameGeometry() {
		WalHeader header = new WalHeader(WalHeader.MAGIC_LITTLE_ENDIAN, 3007000, 4096, 0, 1, 2, 0, 0);
		assertThat(header.frameSize()).isEqualTo(4120);
		assertThat(header.frameOffset(2)).isEqualTo(8272);
		assertThat(header.isFrameAligned(32)).isTrue();
		assertThat(header.isFrameAligned(8272)).isTrue();
		assertThat(header.isFrameAligned(8273)).isFalse();
		assertThat(header.isFrameAligned(0)).isFalse();
	}

	private WalHeader read(byte[] wal) throws IOException {
		Path file = Files.write(this.temp.resolve("wal"), wal);
		try (FileChannel channel = TestWals.open(file)) {
			return WalHeader.read(channel, file).orElse(null);
		}
	}

	private static byte[] rewriteHeaderField(byte[] wal, int offset, int value) {
		TestWals.putBe(wal, offset, value);
		long[] sum = TestWals.checksum(false, new long[2], wal, 0, 24);
		TestWals.putBe(wal, 24, (int) sum[0]);
		TestWals.putBe(wal, 28, (int) sum[1]);
		return wal;
	}

}
