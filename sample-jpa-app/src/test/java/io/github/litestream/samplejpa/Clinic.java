package io.github.litestream.samplejpa;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import com.jayway.jsonpath.JsonPath;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.BootAppInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Helpers of the clinic's two-JVM tests: how an instance is started on its own data
 * directory with a file replica, how it is written to and synced, and how a database file
 * (the instance's or one restored from the replica) is read.
 */
final class Clinic {

	private Clinic() {
	}

	/**
	 * Starts an instance in a child JVM on its own data directory, {@code name} under
	 * {@code dir}, replicating to {@code replica} every 100 ms, with a short lease (TTL 6
	 * s, renewed every second) so that a handover takes seconds.
	 */
	static BootAppInstance start(Path dir, String name, Path replica) {
		return start(dir, name, name, replica);
	}

	/**
	 * Starts an instance as {@link #start(Path, String, Path)} does, on the data
	 * directory {@code disk} under {@code dir}: a restart on the same disk is another
	 * instance (with its own output files) on the same directory.
	 */
	static BootAppInstance start(Path dir, String name, String disk, Path replica) {
		BootAppInstance instance = new BootAppInstance(name);
		start(instance, dir, disk, replica);
		return instance;
	}

	/**
	 * Starts an instance created earlier (so that a test can close it whatever happens)
	 * on its own data directory.
	 */
	static void start(BootAppInstance instance, Path dir, Path replica) {
		start(instance, dir, instance.name(), replica);
	}

	private static void start(BootAppInstance instance, Path dir, String disk, Path replica) {
		instance.start(dir, SampleJpaApplication.class,
				List.of("--spring.datasource.url=jdbc:sqlite:" + dir.resolve(disk).resolve("clinic.db")
						+ "?transaction_mode=IMMEDIATE", "--litestream.replicas[0].name=local",
						"--litestream.replicas[0].url=" + replica, "--litestream.replicas[0].sync-interval=100ms",
						"--litestream.monitor-interval=100ms", "--litestream.lease.ttl=6s",
						"--litestream.lease.renew-interval=1s"));
		instance.awaitListening();
	}

	/**
	 * Registers an owner with two pets (its name followed by {@code -cat} and
	 * {@code -dog}) in one request and so one transaction.
	 * @return the HTTP status
	 */
	static int register(BootAppInstance instance, String name) throws IOException, InterruptedException {
		return instance
			.post("/api/owners",
					"{\"name\":\"" + name + "\",\"pets\":[{\"name\":\"" + name + "-cat\",\"birthDate\":\"2020-02-29\"},"
							+ "{\"name\":\"" + name + "-dog\"}]}")
			.statusCode();
	}

	/**
	 * Asks the instance, through its Actuator endpoint, to read every commit and wait
	 * until the replica holds it.
	 */
	static void sync(BootAppInstance instance) throws IOException, InterruptedException {
		HttpResponse<String> response = instance.managementPost("/actuator/litestream/dataSource/sync", "{}");
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		assertThat((Boolean) JsonPath.read(response.body(), "$.replicated")).as(response.body()).isTrue();
	}

	/**
	 * The owners as {@code GET /api/owners} shows them (JSON).
	 */
	static String owners(BootAppInstance instance) throws IOException, InterruptedException {
		HttpResponse<String> response = instance.get("/api/owners");
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return response.body();
	}

	/**
	 * The owners' names in an answer of {@code GET /api/owners}.
	 */
	static List<String> ownerNames(String owners) {
		return JsonPath.read(owners, "$[*].name");
	}

	/**
	 * Restores the replica into a new file.
	 */
	static Path restore(Path replica, Path scratch) throws Exception {
		Path restored = Files.createTempDirectory(scratch, "restore").resolve("restored.db");
		new Restorer().restore(new FileReplicaClient(replica), restored, RestoreOptions.defaults()).orElseThrow();
		return restored;
	}

	/**
	 * Reads one column of a query on a database file, as strings.
	 */
	static List<String> query(Path db, String sql) throws SQLException {
		List<String> values = new ArrayList<>();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery(sql)) {
			while (rs.next()) {
				values.add(rs.getString(1));
			}
		}
		return values;
	}

}
