package io.github.litestream.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.file.FileReplicaClient;

/**
 * Helpers of the sample application tests: reading what the replica holds and deleting
 * directories.
 */
final class SampleTestSupport {

	private SampleTestSupport() {
	}

	/**
	 * Restores the replica into a new file and returns the texts of its notes.
	 */
	static List<String> notesInReplica(Path replica, Path scratch) throws Exception {
		Path restored = Files.createTempDirectory(scratch, "restore").resolve("restored.db");
		new Restorer().restore(new FileReplicaClient(replica), restored, RestoreOptions.defaults()).orElseThrow();
		List<String> texts = new ArrayList<>();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + restored);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT text FROM note ORDER BY id")) {
			while (rs.next()) {
				texts.add(rs.getString(1));
			}
		}
		return texts;
	}

	static void deleteRecursively(Path dir) {
		if (!Files.exists(dir)) {
			return;
		}
		try (Stream<Path> files = Files.walk(dir)) {
			for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(file);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
