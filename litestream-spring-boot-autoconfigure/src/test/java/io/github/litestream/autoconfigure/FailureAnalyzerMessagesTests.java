package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestream.jdbc.Replica;
import io.github.litestream.jdbc.StartupRestoreException;
import io.github.litestream.ltx.LtxFormatException;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.storage.ReplicaException;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.RepositoryFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failure analyses read as sentences and suggest what can work.
 */
class FailureAnalyzerMessagesTests {

	@TempDir
	Path dir;

	@Test
	void startupRestoreFailureEndingWithAFullStopIsNotDoubled() {
		ReplicaException noBucket = new ReplicaException("S3 bucket 'b' does not exist (NoSuchBucket, HTTP 404). "
				+ "Create bucket 'b', or point the replica URL at an existing bucket.", false, null);
		FailureAnalysis analysis = new StartupRestoreFailureAnalyzer().analyze(startupFailure(noBucket));
		assertThat(analysis.getDescription()).contains("existing bucket. The application did not start")
			.doesNotContain("..");
	}

	@Test
	void configurationFailureEndingWithAFullStopIsNotDoubled() {
		LitestreamConfigurationException failure = new LitestreamConfigurationException("litestream.replicas[0].url",
				"s3://b/p", "the bucket is wrong.", "Fix it.");
		FailureAnalysis analysis = new LitestreamConfigurationFailureAnalyzer().analyze(failure);
		assertThat(analysis.getDescription()).endsWith("the bucket is wrong.").doesNotContain("..");
	}

	@Test
	void corruptFileFailureDoesNotSuggestTheOfficialRestoreOfTheSameFiles() {
		RestoreException corrupt = new RestoreException(
				"Restore of /data/app.db from file:///r failed: "
						+ "checksum mismatch; the database file was not changed",
				new LtxFormatException("checksum mismatch"));
		FailureAnalysis analysis = new StartupRestoreFailureAnalyzer().analyze(startupFailure(corrupt));
		assertThat(analysis.getAction()).doesNotContain("restore the database with 'litestream restore'")
			.contains("reads the same files", "move the replica's files away");
	}

	@Test
	void accessFailureSuggestsFixingAccess() {
		ReplicaException denied = new ReplicaException("Access to S3 bucket 'b' was denied (AccessDenied).", false,
				null);
		FailureAnalysis analysis = new StartupRestoreFailureAnalyzer()
			.analyze(startupFailure(new RestoreException("Restore failed: denied", denied)));
		assertThat(analysis.getAction()).contains("Fix access to the replica", "litestream.restore.on-startup=never");
	}

	@Test
	void unsafeSqliteActionNamesTheVersionPropertyAndOneVersion() {
		FailureAnalysis analysis = new UnsafeSqliteVersionFailureAnalyzer()
			.analyze(new UnsafeSqliteVersionException("3.50.3", "dataSource", this.dir.resolve("app.db")));
		String recommended = UnsafeSqliteVersionFailureAnalyzer.RECOMMENDED_SQLITE_JDBC_VERSION;
		assertThat(analysis.getAction())
			.contains("<sqlite-jdbc.version>" + recommended + "</sqlite-jdbc.version>",
					"ext['sqlite-jdbc.version'] = '" + recommended + "'", "litestream.allow-unsafe-sqlite-version=true")
			.doesNotContainIgnoringCase("remove");
		assertThat(sqliteJdbcVersions(analysis.getAction())).containsOnly(recommended);
	}

	@Test
	void recommendedSqliteJdbcVersionIsTheOneTheReadmeAndTheGuideRecommend() throws IOException {
		String recommended = UnsafeSqliteVersionFailureAnalyzer.RECOMMENDED_SQLITE_JDBC_VERSION;
		for (Path document : List.of(RepositoryFiles.resolve("README.md"), RepositoryFiles.resolve("docs/guide.md"))) {
			Matcher property = Pattern.compile("<sqlite-jdbc\\.version>([^<]*)</sqlite-jdbc\\.version>")
				.matcher(Files.readString(document));
			List<String> versions = property.results().map((match) -> match.group(1)).toList();
			assertThat(versions).as("sqlite-jdbc.version in %s", document).isNotEmpty().containsOnly(recommended);
		}
	}

	/** The sqlite-jdbc versions (four numbers) a text names. */
	private static List<String> sqliteJdbcVersions(String text) {
		return Pattern.compile("\\b\\d+\\.\\d+\\.\\d+\\.\\d+\\b")
			.matcher(text)
			.results()
			.map(MatchResult::group)
			.toList();
	}

	private StartupRestoreException startupFailure(Throwable cause) {
		FileReplicaClient client = new FileReplicaClient(this.dir);
		return new StartupRestoreException("dataSource", this.dir.resolve("app.db"),
				new Replica("s3", "s3://b/p", client, Duration.ZERO), cause);
	}

}
