package io.github.litestream.ownership;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The lease object's format, shared with Litestream's leaser, and the lease settings'
 * rules.
 */
class LeaseRecordTests {

	@Test
	void leaseWrittenByLitestreamIsRead() {
		// Go's time.Time marshals as RFC 3339 with nanoseconds, in the local offset
		LeaseRecord lease = parse("{\"generation\":12,\"expires_at\":\"2026-12-02T18:00:30.123456789+01:00\","
				+ "\"owner\":\"host:77\"}");
		assertThat(lease.generation()).isEqualTo(12);
		assertThat(lease.expiresAt()).isEqualTo(Instant.parse("2026-12-02T17:00:30.123456789Z"));
		assertThat(lease.owner()).isEqualTo("host:77");
		assertThat(lease.instance()).isNull();
	}

	@Test
	void leaseReleasedByWritingGoZeroTimeIsExpiredForBothTools() {
		LeaseRecord lease = parse("{\"generation\":3,\"expires_at\":\"0001-01-01T00:00:00Z\",\"owner\":\"h:1\"}");
		assertThat(lease.isReleased()).isTrue();
		assertThat(lease.isExpiredAt(Instant.EPOCH)).isTrue();
	}

	@Test
	void encodedLeaseReadsBackWithEveryFieldAndUnknownFieldsAreIgnored() {
		Instant now = Instant.parse("2026-12-02T17:00:00.5Z");
		LeaseRecord lease = new LeaseRecord(5, now.plusSeconds(30), "host:1", "a \"quoted\" id", "dataSource", now,
				"newcomer:2", now, 0x1234L);
		assertThat(LeaseRecord.parse(lease.encode())).isEqualTo(lease);
		String withExtra = new String(lease.encode(), StandardCharsets.UTF_8).replace("}",
				",\"future\":true,\"n\":1.5,\"x\":null}");
		assertThat(parse(withExtra)).isEqualTo(lease);
	}

	@Test
	void objectsThatAreNotLeasesAreRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> parse("not json"));
		assertThatIllegalArgumentException().isThrownBy(() -> parse("{\"expires_at\":\"2026-12-02T17:00:00Z\"}"))
			.withMessageContaining("generation");
		assertThatIllegalArgumentException().isThrownBy(() -> parse("{\"generation\":1}"))
			.withMessageContaining("expires_at");
		assertThatIllegalArgumentException().isThrownBy(() -> parse("{\"generation\":1,\"expires_at\":\"tomorrow\"}"));
		assertThatIllegalArgumentException().isThrownBy(() -> parse("{\"generation\":1} trailing"));
	}

	@Test
	void renewIntervalAboveAThirdOfTheTtlIsRefusedNamingTheProperty() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new LeaseConfig(true, Duration.ofSeconds(30), Duration.ofSeconds(11)))
			.withMessageContaining("litestream.lease.renew-interval")
			.withMessageContaining("PT11S");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new LeaseConfig(true, Duration.ofMillis(100), Duration.ofMillis(10)))
			.withMessageContaining("litestream.lease.ttl");
		assertThat(LeaseConfig.DEFAULT.fenceAfter()).isEqualTo(Duration.ofSeconds(20));
	}

	private static LeaseRecord parse(String json) {
		return LeaseRecord.parse(json.getBytes(StandardCharsets.UTF_8));
	}

}
