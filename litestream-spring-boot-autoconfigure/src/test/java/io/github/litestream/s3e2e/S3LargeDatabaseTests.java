package io.github.litestream.s3e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.S3Server;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database larger than 64 MiB replicates to S3 and restores from it in a child JVM with
 * a 64 MiB heap: the first snapshot goes up as a multipart upload with the default 8 MiB
 * parts and comes back streamed.
 */
class S3LargeDatabaseTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final long TARGET_BYTES = 72L * 1024 * 1024;

	@TempDir
	Path dir;

	@Test
	void databaseLargerThanTheHeapReplicatesToS3InPartsAndRestores() {
		S3Server server = s3.server();
		Path restored = this.dir.resolve("restored.db");
		try (ChildJvm child = ChildJvm.start(this.dir, "large-s3", S3LargeDatabaseMain.class, List.of("-Xmx64m"),
				List.of(this.dir.resolve("big.db").toString(), restored.toString(), Long.toString(TARGET_BYTES),
						server.endpoint().toString(), server.region(), server.accessKey(), server.secretKey(),
						server.createBucket("large")))) {
			assertThat(child.awaitExit(Duration.ofMinutes(5))).as(child.outputTail()).isZero();
			String[] result = child.awaitLine("result .*", Duration.ofSeconds(1)).split(" ");
			assertThat(result[2]).as("restored CRC").isEqualTo(result[1]);
			assertThat(Long.parseLong(result[4])).as("first full file size").isGreaterThan(64L * 1024 * 1024);
			assertThat(Integer.parseInt(result[3])).as("multipart parts")
				.isGreaterThanOrEqualTo((int) (64L * 1024 * 1024 / S3ReplicaClient.DEFAULT_PART_SIZE));
		}
	}

}
