package io.github.litestream.autoconfigure;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.github.litestream.replication.SqliteWalResetBug;
import io.github.litestream.testsupport.ChildJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The startup guard against SQLite's WAL-reset bug, on a real affected SQLite: a small
 * Spring Boot application ({@link SqliteGuardApplicationMain}) runs in a child JVM whose
 * classpath has the sqlite-jdbc version the build copies to
 * {@code target/sqlite-jdbc-affected} (property {@code sqlite-jdbc.affected.version})
 * instead of the bundled one.
 */
class UnsafeSqliteVersionTests {

	private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(3);

	private static final String OVERRIDE = "litestream.allow-unsafe-sqlite-version";

	private static Path affectedJar;

	/** The SQLite version inside {@link #affectedJar}, e.g. 3.50.3 for 3.50.3.0. */
	private static String affectedVersion;

	@TempDir
	Path temp;

	@BeforeAll
	static void findAffectedDriver() throws IOException, URISyntaxException {
		Path testClasses = Path
			.of(UnsafeSqliteVersionTests.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		Path directory = testClasses.resolveSibling("sqlite-jdbc-affected");
		try (Stream<Path> jars = Files.list(directory)) {
			List<Path> found = jars.filter((jar) -> jar.getFileName().toString().matches("sqlite-jdbc-.*\\.jar"))
				.toList();
			assertThat(found).as("the sqlite-jdbc that the build copies to %s", directory).hasSize(1);
			affectedJar = found.get(0);
		}
		String driverVersion = affectedJar.getFileName().toString().replaceAll("^sqlite-jdbc-(.*)\\.jar$", "$1");
		affectedVersion = driverVersion.substring(0, driverVersion.lastIndexOf('.'));
		assertThat(SqliteWalResetBug.affects(affectedVersion)).as("SQLite %s has the bug", affectedVersion).isTrue();
	}

	@Test
	void affectedSqliteFailsStartupNamingTheVersionAndTheFixBeforeTouchingTheDatabase() throws IOException {
		try (ChildJvm child = startApplication("affected", affectedClasspath())) {
			assertThat(child.awaitExit(CHILD_TIMEOUT)).as(child.outputTail()).isEqualTo(1);
			String output = Files.readString(child.stdout());
			assertThat(output).as(child.outputTail())
				.contains("APPLICATION FAILED TO START")
				.contains("SQLite " + affectedVersion + ", loaded by the sqlite-jdbc driver on the classpath, has the "
						+ "WAL-reset corruption bug")
				.contains(SqliteWalResetBug.DOCUMENTATION)
				.contains("Use org.xerial:sqlite-jdbc "
						+ UnsafeSqliteVersionFailureAnalyzer.RECOMMENDED_SQLITE_JDBC_VERSION)
				.contains("<sqlite-jdbc.version>" + UnsafeSqliteVersionFailureAnalyzer.RECOMMENDED_SQLITE_JDBC_VERSION
						+ "</sqlite-jdbc.version>")
				.contains("ext['sqlite-jdbc.version'] = '"
						+ UnsafeSqliteVersionFailureAnalyzer.RECOMMENDED_SQLITE_JDBC_VERSION + "'")
				.contains(OVERRIDE + "=true")
				.doesNotContain("started sqlite=");
		}
		assertThat(this.temp.resolve("data/app.db")).doesNotExist();
		assertThat(this.temp.resolve("replica")).doesNotExist();
	}

	@Test
	void affectedSqliteStartsAndReplicatesWithTheOverrideAndWarnsOnce() throws IOException {
		try (ChildJvm child = startApplication("override", affectedClasspath(), "--" + OVERRIDE + "=true")) {
			assertThat(child.awaitExit(CHILD_TIMEOUT)).as(child.outputTail()).isZero();
			assertThat(child.lines()).as(child.outputTail())
				.contains("started sqlite=" + affectedVersion + " replicated=true")
				.filteredOn((line) -> line.contains("WAL-reset corruption bug"))
				.singleElement()
				.asString()
				.contains("WARN")
				.contains("SQLite " + affectedVersion)
				.contains(OVERRIDE + "=true");
		}
	}

	@Test
	void bundledSqliteStartsWithoutWarning() throws IOException {
		try (ChildJvm child = startApplication("bundled", System.getProperty("java.class.path"))) {
			assertThat(child.awaitExit(CHILD_TIMEOUT)).as(child.outputTail()).isZero();
			List<String> lines = child.lines();
			assertThat(lines).as(child.outputTail())
				.anyMatch((line) -> line.startsWith("started sqlite=") && line.endsWith(" replicated=true"))
				.noneMatch((line) -> line.contains("WAL-reset"));
			String version = lines.stream()
				.filter((line) -> line.startsWith("started sqlite="))
				.findFirst()
				.orElseThrow()
				.replaceAll("started sqlite=(\\S+) .*", "$1");
			assertThat(SqliteWalResetBug.affects(version)).isFalse();
		}
	}

	private ChildJvm startApplication(String name, String classpath, String... extraArgs) {
		List<String> args = new ArrayList<>();
		args.add("--spring.datasource.url=jdbc:sqlite:" + this.temp.resolve("data/app.db"));
		args.add("--litestream.replicas[0].url=" + this.temp.resolve("replica").toUri());
		args.addAll(List.of(extraArgs));
		return ChildJvm.start(this.temp, name, classpath, SqliteGuardApplicationMain.class, List.of("-Xmx256m"), args);
	}

	/** The test classpath with the bundled sqlite-jdbc swapped for the affected one. */
	private static String affectedClasspath() {
		List<String> entries = new ArrayList<>();
		int swapped = 0;
		for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
			if (Path.of(entry).getFileName().toString().matches("sqlite-jdbc-.*\\.jar")) {
				entries.add(affectedJar.toString());
				swapped++;
			}
			else {
				entries.add(entry);
			}
		}
		assertThat(swapped).as("sqlite-jdbc jars on the test classpath").isOne();
		return String.join(File.pathSeparator, entries);
	}

}
