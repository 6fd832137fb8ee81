package io.github.litestream.ltx;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.github.litestream.ltx.LtxTestSupport.filled;
import static io.github.litestream.ltx.LtxTestSupport.pages;
import static io.github.litestream.ltx.LtxTestSupport.rolling;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link LtxChecksum} against the rolling-checksum vectors of the reference
 * implementation's tests (LTX-SPEC section 14.3, {@code verify_vectors.py}).
 */
class LtxChecksumTests {

	@Test
	void checksumReaderVector() {
		assertThat(rolling(512, pages(1, filled(512, 0x01), 2, filled(512, 0x02), 3, filled(512, 0x03))))
			.isEqualTo(0xefffffffecd99000L);
	}

	@Test
	void decoderVectors() {
		assertThat(rolling(1024, pages(1, filled(1024, '2'), 2, filled(1024, '3')))).isEqualTo(0xe1899b6d587aaaaaL);
		assertThat(rolling(512, pages(1, filled(512, '2'), 2, filled(512, '3')))).isEqualTo(0x8b87423eeeeeeeeeL);
	}

	@Test
	void compactorVectors() {
		assertThat(rolling(1024, pages(1, filled(1024, 0x81), 2, filled(1024, 0x82), 3, filled(1024, 0x83))))
			.isEqualTo(0x8a249272ad9f7deaL);
		assertThat(rolling(1024, pages(1, filled(1024, 0x91), 2, filled(1024, 0x82), 3, filled(1024, 0x93))))
			.isEqualTo(0x8a249272ad9f7deaL);
		assertThat(rolling(1024, pages(1, filled(1024, 0x81)))).isEqualTo(0xeb953fc47685d740L);
		assertThat(rolling(512, pages(1, filled(512, '1')))).isEqualTo(0xeb1a999231044dddL);
	}

	@Test
	void startValueAndOrderDoNotMatter() {
		Map<Integer, byte[]> pages = pages(1, filled(512, 0x01), 2, filled(512, 0x02), 3, filled(512, 0x03));
		long fromZero = 0;
		for (int pgno : new int[] { 3, 1, 2 }) {
			fromZero = LtxChecksum.fold(fromZero, LtxChecksum.pageChecksum(pgno, pages.get(pgno), 0, 512));
		}
		assertThat(fromZero).isEqualTo(0xefffffffecd99000L);
	}

	@Test
	void foldingAPageTwiceRemovesIt() {
		long one = rolling(512, pages(1, filled(512, '1')));
		long page2 = LtxChecksum.pageChecksum(2, filled(512, '2'), 0, 512);
		assertThat(LtxChecksum.fold(LtxChecksum.fold(one, page2), page2)).isEqualTo(one);
	}

	@Test
	void pageChecksumReadsFromTheOffset() {
		byte[] buffer = new byte[1024 + 7];
		System.arraycopy(filled(1024, 0x81), 0, buffer, 7, 1024);
		assertThat(LtxChecksum.pageChecksum(1, buffer, 7, 1024))
			.isEqualTo(LtxChecksum.pageChecksum(1, filled(1024, 0x81), 0, 1024));
	}

	@ParameterizedTest
	@CsvSource({ "512,2097153", "1024,1048577", "2048,524289", "4096,262145", "8192,131073", "16384,65537",
			"32768,32769", "65536,16385" })
	void lockPageMatchesSpecTable(int pageSize, int lockPage) {
		assertThat(LtxChecksum.lockPage(pageSize)).isEqualTo(lockPage);
	}

}
