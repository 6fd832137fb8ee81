package io.github.litestream.autoconfigure;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Startup failures of bad {@code litestream.*} values name the exact property, with its
 * index, and the value as given; none of them prints a credential. Every failure test
 * goes through {@link #failure}, which scans the failure's whole text (description,
 * action, every cause's message and stack trace) and everything logged meanwhile for the
 * secrets the tests use.
 */
@ExtendWith(OutputCaptureExtension.class)
class LitestreamPropertiesValidationTests {

	private static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";

	private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

	private static final String PLAIN_SECRET = "plainSecretWithoutSlashes42";

	private static final List<String> SECRETS = List.of(ACCESS_KEY, SECRET, PLAIN_SECRET, "K7MDENG");

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("data/app.db"),
					"litestream.replicas[0].url=" + this.dir.resolve("replica").toUri(),
					"litestream.replicas[0].name=first", "litestream.monitor-interval=50ms");
	}

	@Test
	void negativeSyncIntervalOfTheSecondReplicaNamesItsIndexAndValue(CapturedOutput output) {
		FailureAnalysis analysis = failure(output, "litestream.replicas[1].url=" + this.dir.resolve("second").toUri(),
				"litestream.replicas[1].name=second", "litestream.replicas[1].sync-interval=-1s");
		assertThat(analysis.getDescription()).contains(
				"Property 'litestream.replicas[1].sync-interval' with value '-1s' is invalid: must be zero or positive");
		assertThat(analysis.getAction()).contains("litestream.replicas[1].sync-interval");
	}

	@Test
	void decreasingLevelNamesItsIndexAndValue(CapturedOutput output) {
		FailureAnalysis analysis = failure(output, "litestream.levels[0]=5m", "litestream.levels[1]=30s");
		assertThat(analysis.getDescription()).contains("'litestream.levels[1]' with value '30s'",
				"must not be shorter than litestream.levels[0] (300s)");
		FailureAnalysis commaList = failure(output, "litestream.levels=5m,30s,-1s");
		assertThat(commaList.getDescription()).contains("'litestream.levels[1]' with value '30s'");
		FailureAnalysis negative = failure(output, "litestream.levels=5m,-1s");
		assertThat(negative.getDescription()).contains("'litestream.levels[1]' with value '-1s'", "must be positive");
	}

	@Test
	void leaseSettingsNameTheirPropertyAndValue(CapturedOutput output) {
		assertThat(failure(output, "litestream.lease.startup-timeout=-1s").getDescription())
			.contains("Property 'litestream.lease.startup-timeout' with value '-1s' is invalid: must be positive");
		assertThat(failure(output, "litestream.lease.ttl=30s", "litestream.lease.renew-interval=11s").getDescription())
			.contains("'litestream.lease.renew-interval' with value '11s'",
					"at most a third of litestream.lease.ttl (30s)");
		assertThat(failure(output, "litestream.lease.ttl=1s").getAction()).contains("to 333ms or less");
		assertThat(failure(output, "litestream.lease.ttl=100ms").getDescription())
			.contains("'litestream.lease.ttl' with value '100ms'", "must be at least 300ms");
	}

	@Test
	void sameReplicaConfiguredTwiceUnderTwoNamesIsRefused(CapturedOutput output) {
		FailureAnalysis analysis = failure(output, "litestream.replicas[1].url=" + this.dir.resolve("replica"),
				"litestream.replicas[1].name=again");
		assertThat(analysis.getDescription()).contains("'litestream.replicas[1].url'",
				"the same replica as litestream.replicas[0]");
	}

	@Test
	void tooManyLevelsNameTheList(CapturedOutput output) {
		FailureAnalysis analysis = failure(output, "litestream.levels=1s,2s,3s,4s,5s,6s,7s,8s,9s");
		assertThat(analysis.getDescription()).contains("'litestream.levels'", "at most 8 intervals");
	}

	@Test
	void everyCountAndDurationIsChecked(CapturedOutput output) {
		assertThat(failure(output, "litestream.restore.parallelism=0").getDescription())
			.contains("'litestream.restore.parallelism' with value '0'", "at least 1");
		assertThat(failure(output, "litestream.health.max-lag=-5s").getDescription())
			.contains("'litestream.health.max-lag' with value '-5s'");
		assertThat(failure(output, "litestream.restore.drain-timeout=-1s").getDescription())
			.contains("'litestream.restore.drain-timeout' with value '-1s'");
		assertThat(failure(output, "litestream.snapshot.retention=0s").getDescription())
			.contains("'litestream.snapshot.retention' with value '0s'");
		assertThat(failure(output, "litestream.min-checkpoint-page-count=0").getDescription())
			.contains("'litestream.min-checkpoint-page-count' with value '0'");
		assertThat(failure(output, "litestream.min-checkpoint-page-count=2000", "litestream.truncate-page-count=1000")
			.getDescription()).contains("'litestream.truncate-page-count' with value '1000'",
					"at least litestream.min-checkpoint-page-count (2000)");
		assertThat(failure(output, "litestream.replicas[0].name=bad name").getDescription())
			.contains("'litestream.replicas[0].name' with value 'bad name'");
	}

	@Test
	void replicaUrlWithCredentialsIsRefusedWithTheSecretMasked(CapturedOutput output) {
		FailureAnalysis analysis = failure(output,
				"litestream.replicas[1].url=s3://" + ACCESS_KEY + ":" + SECRET + "@bucket/prefix");
		assertThat(analysis.getDescription())
			.contains("'litestream.replicas[1].url' with value 's3://****@bucket/prefix'", "credentials");
		assertThat(analysis.getAction()).contains("'s3://bucket/prefix'", "spring.cloud.aws.credentials");
		assertThat(failure(output, "litestream.replicas[1].url=s3://" + ACCESS_KEY + ":" + PLAIN_SECRET + "@bucket/p")
			.getDescription()).contains("s3://****@bucket/p");
		assertThat(failure(output, "litestream.replicas[0].url=file://user:" + PLAIN_SECRET + "@host/dir")
			.getDescription()).contains("file://****@host/dir");
		assertThat(failure(output, "litestream.replicas[0].url=s3://bucket/p",
				"litestream.replicas[0].endpoint=http://" + ACCESS_KEY + ":" + PLAIN_SECRET + "@localhost:9000")
			.getDescription()).contains("'litestream.replicas[0].endpoint' with value 'http://****@localhost:9000'");
	}

	@Test
	void failuresOfReplicasWithKeysNeverPrintThem(CapturedOutput output) {
		failure(output, "litestream.replicas[1].url=s3://bucket/prefix",
				"litestream.replicas[1].access-key-id=" + ACCESS_KEY,
				"litestream.replicas[1].secret-access-key=" + SECRET, "litestream.replicas[1].sync-interval=-1s");
		FailureAnalysis onlySecret = failure(output, "litestream.replicas[1].url=s3://bucket/prefix",
				"litestream.replicas[1].secret-access-key=" + SECRET);
		assertThat(onlySecret.getDescription()).contains("litestream.replicas[1].access-key-id");
	}

	@Test
	void userInfoIsDetectedWhateverTheSecretLooksLike() {
		assertThat(LitestreamPropertiesValidator.hasUserInfo(URI.create("s3://a:b@bucket/p"))).isTrue();
		assertThat(LitestreamPropertiesValidator
			.hasUserInfo(URI.create("s3://" + ACCESS_KEY + ":" + SECRET + "@bucket/p"))).isTrue();
		assertThat(LitestreamPropertiesValidator.hasUserInfo(URI.create("s3://my_bucket/team@x/db"))).isFalse();
		assertThat(LitestreamPropertiesValidator.hasUserInfo(URI.create("s3://bucket/prefix"))).isFalse();
		assertThat(LitestreamPropertiesValidator.hasUserInfo(URI.create("http://localhost:9000"))).isFalse();
		assertThat(LitestreamPropertiesValidator.maskUserInfo("s3://" + ACCESS_KEY + ":" + SECRET + "@bucket/p"))
			.isEqualTo("s3://****@bucket/p");
	}

	/**
	 * Starts a context that must fail, returns the failure analysis, and checks that
	 * neither the failure nor the output printed a secret.
	 */
	private FailureAnalysis failure(CapturedOutput output, String... properties) {
		FailureAnalysis[] analysis = new FailureAnalysis[1];
		runner().withPropertyValues(properties).run((context) -> {
			Throwable failure = context.getStartupFailure();
			assertThat(failure).as("startup failure for %s", List.of(properties)).isNotNull();
			analysis[0] = new LitestreamConfigurationFailureAnalyzer().analyze(failure);
			assertThat(analysis[0]).as("failure analysis of %s", failure).isNotNull();
			StringWriter trace = new StringWriter();
			failure.printStackTrace(new PrintWriter(trace));
			String text = analysis[0].getDescription() + "\n" + analysis[0].getAction() + "\n" + trace;
			for (String secret : SECRETS) {
				assertThat(text).as("failure text").doesNotContain(secret);
				assertThat(output.getAll()).as("output").doesNotContain(secret);
			}
		});
		return analysis[0];
	}

}
