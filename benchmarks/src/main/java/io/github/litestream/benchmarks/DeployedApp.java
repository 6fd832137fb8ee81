package io.github.litestream.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An application scenarios 9 and 13 deploy as packaged jars: how its database is named,
 * how a client writes one record and reads, and where the written records are found again
 * (in a restored database and through the application's API). Records are named
 * {@code c<client>-<sequence>}.
 */
enum DeployedApp {

	/** The sample application (JDBC, Flyway, Actuator): one note per write. */
	NOTES("sample-app", "sample-app-jar", "sample-app/target/sample-app-0.1.0-SNAPSHOT.jar", "notes.db", "",
			"/api/notes", "/api/notes/count", "/api/notes", "SELECT text FROM note",
			"CREATE INDEX note_created_at ON note (created_at);", "\"text\":\"(c[0-9]+-[0-9]+)\"",
			"\"count\":([0-9]+)"),

	/**
	 * The pet clinic (Spring Data JPA, Hibernate, Flyway): one owner with two pets per
	 * write, one transaction. Its readiness is also served on the application's port, as
	 * the sample application's.
	 */
	CLINIC("sample-jpa-app", "sample-jpa-app-jar", "sample-jpa-app/target/sample-jpa-app-0.1.0-SNAPSHOT.jar",
			"clinic.db", "?transaction_mode=IMMEDIATE", "/api/owners", "/api/counts", "/api/owners",
			"SELECT name FROM owner", "CREATE INDEX owner_name ON owner (name);", "\"name\":\"(c[0-9]+-[0-9]+)\"",
			"\"owners\":([0-9]+)");

	final String label;

	/** The benchmark option that overrides {@link #defaultJar}. */
	final String jarOption;

	final String defaultJar;

	final String databaseFile;

	/** Appended to the JDBC URL, as the application's own configuration has it. */
	final String urlParameters;

	final String writePath;

	/** A cheap read that returns data once the database holds some. */
	final String readPath;

	/** Every record, to check that the new instance serves each acknowledged one. */
	final String listPath;

	/** The names of the records in a restored database. */
	final String restoredQuery;

	/**
	 * The migration a deploy adds (an index on the main table: real work, no new API).
	 */
	final String migration;

	private final Pattern recordName;

	private final Pattern readCount;

	DeployedApp(String label, String jarOption, String defaultJar, String databaseFile, String urlParameters,
			String writePath, String readPath, String listPath, String restoredQuery, String migration,
			String recordName, String readCount) {
		this.label = label;
		this.jarOption = jarOption;
		this.defaultJar = defaultJar;
		this.databaseFile = databaseFile;
		this.urlParameters = urlParameters;
		this.writePath = writePath;
		this.readPath = readPath;
		this.listPath = listPath;
		this.restoredQuery = restoredQuery;
		this.migration = migration;
		this.recordName = Pattern.compile(recordName);
		this.readCount = Pattern.compile(readCount);
	}

	/** The JSON body that writes the record {@code name}. */
	String writeBody(String name) {
		if (this == NOTES) {
			return "{\"text\":\"" + name + "\"}";
		}
		return "{\"name\":\"" + name + "\",\"pets\":[{\"name\":\"cat\",\"birthDate\":\"2020-02-29\"},"
				+ "{\"name\":\"dog\"}]}";
	}

	/** Arguments every instance of the application gets on top of the common ones. */
	List<String> arguments() {
		if (this == CLINIC) {
			// The clinic's configuration serves the probes on the management port only.
			return List.of("--management.endpoint.health.probes.add-additional-paths=true");
		}
		return List.of();
	}

	/** Whether a read's body shows data: at least one record. */
	boolean hasData(String body) {
		Matcher m = this.readCount.matcher(body);
		return m.find() && Long.parseLong(m.group(1)) > 0;
	}

	/** The record names in a listing of {@link #listPath}. */
	List<String> recordNames(String body) {
		List<String> names = new ArrayList<>();
		Matcher m = this.recordName.matcher(body);
		while (m.find()) {
			names.add(m.group(1));
		}
		return names;
	}

	/** The option value that selects this application ({@code notes}, {@code clinic}). */
	String key() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}

}
