package io.github.litestream.jdbc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.storage.file.FileReplicaClient;

/**
 * A child-JVM program for the restart tests: one {@link TestInstance} that creates the
 * table {@code notes}, writes notes 1 to 5, prints {@code replicated 5} once the replica
 * holds them, and then serves until it is killed (SIGKILL leaves its lease in the
 * replica) or stopped.
 * <p>
 * Arguments: the directory of the instances, the instance name, the replica directory,
 * the lease TTL in seconds.
 */
public final class RestartedInstanceMain {

	private RestartedInstanceMain() {
	}

	public static void main(String[] args) throws Exception {
		Duration ttl = Duration.ofSeconds(Long.parseLong(args[3]));
		TestInstance instance = TestInstance.create(Path.of(args[0]), args[1], new FileReplicaClient(Path.of(args[2])),
				new LeaseConfig(true, ttl, ttl.dividedBy(30)));
		instance.start();
		instance.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)");
		for (int id = 1; id <= 5; id++) {
			instance.execute("INSERT INTO notes VALUES (" + id + ", 'written by the child')");
		}
		if (!instance.database.sync().replicated()) {
			throw new IllegalStateException("The replica does not hold the notes");
		}
		System.out.println("replicated 5");
		Runtime.getRuntime().addShutdownHook(new Thread(instance::close));
		while (true) {
			LockSupport.park();
		}
	}

}
