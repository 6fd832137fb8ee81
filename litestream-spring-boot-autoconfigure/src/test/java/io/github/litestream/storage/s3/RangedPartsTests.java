package io.github.litestream.storage.s3;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RangedParts}.
 */
class RangedPartsTests {

	@Test
	void totalLengthIsReadFromTheContentRangeOfTheFirstRange() {
		assertThat(RangedParts.totalLength("bytes 0-9/25", 10)).isEqualTo(25);
		assertThat(RangedParts.totalLength("bytes 0-24/25", 25)).isEqualTo(25);
	}

	@Test
	void unusableContentRangesGiveMinusOne() {
		assertThat(RangedParts.totalLength(null, 10)).isEqualTo(-1);
		assertThat(RangedParts.totalLength("bytes 0-9/*", 10)).isEqualTo(-1);
		assertThat(RangedParts.totalLength("bytes 5-14/25", 10)).isEqualTo(-1);
		assertThat(RangedParts.totalLength("bytes 0-9/25", 9)).isEqualTo(-1);
		assertThat(RangedParts.totalLength("bytes 0-9/5", 10)).isEqualTo(-1);
		assertThat(RangedParts.totalLength("items 0-9/25", 10)).isEqualTo(-1);
		assertThat(RangedParts.totalLength("garbage", 10)).isEqualTo(-1);
	}

	@Test
	void restIsSplitIntoPartSizeRanges() {
		assertThat(RangedParts.split(10, 35, 10)).extracting(RangedParts.Range::toString)
			.containsExactly("10-19", "20-29", "30-34");
		assertThat(RangedParts.split(10, 30, 10)).extracting(RangedParts.Range::length).containsExactly(10L, 10L);
		assertThat(RangedParts.split(10, 10, 10)).isEmpty();
	}

}
