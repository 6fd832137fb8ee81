package io.github.litestream.restore;

import java.time.Instant;
import java.util.List;

import io.github.litestream.storage.LtxFileInfo;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The planner's failures say exactly what is missing and what can be restored instead.
 */
class RestorePlannerMessagesTests {

	@Test
	void missingFileMessageNamesTheTxidsThatAreMissing() {
		// 0c and 0d are missing; 0e is the first TXID present after the gap, and the L1
		// file listed after the L0 files starts later than the gap's end.
		List<LtxFileInfo> files = List.of(file(9, 1, 10), file(0, 11, 11), file(0, 20, 20), file(1, 14, 19));
		assertThatExceptionOfType(RestoreException.class)
			.isThrownBy(() -> RestorePlanner.plan(files, RestoreTarget.latest(), "test"))
			.withMessageContaining("files are missing from TXID 000000000000000c to 000000000000000d")
			.withMessageContaining("level 1 000000000000000e-0000000000000013.ltx");
	}

	@Test
	void targetBeforeTheEarliestSnapshotCarriesTheRestorableRange() {
		List<LtxFileInfo> files = List.of(file(9, 1, 10), file(0, 11, 11));
		assertThatExceptionOfType(RestoreTargetException.class)
			.isThrownBy(() -> RestorePlanner.plan(files, RestoreTarget.at(time(5)), "test"))
			.satisfies((ex) -> assertThat(ex.getRange()).isEqualTo(new RestorableRange(time(10), 10, time(11), 11)));
	}

	@Test
	void txidPastTheNewestCarriesTheRestorableRange() {
		List<LtxFileInfo> files = List.of(file(9, 1, 10), file(0, 11, 11));
		assertThatExceptionOfType(RestoreTargetException.class)
			.isThrownBy(() -> RestorePlanner.plan(files, RestoreTarget.txid(99), "test"))
			.withMessageContaining("the newest TXID is 000000000000000b")
			.satisfies((ex) -> assertThat(ex.getRange()).isNotNull());
	}

	private static Instant time(long txid) {
		return Instant.parse("2026-01-01T00:00:00Z").plusSeconds(txid);
	}

	private static LtxFileInfo file(int level, long min, long max) {
		return new LtxFileInfo(level, min, max, 100, time(max));
	}

}
