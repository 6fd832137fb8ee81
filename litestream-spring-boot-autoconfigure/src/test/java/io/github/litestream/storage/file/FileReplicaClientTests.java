package io.github.litestream.storage.file;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.Stream;

import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaClientContractTests;
import io.github.litestream.storage.ReplicaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Runs the {@link ReplicaClient} contract against {@link FileReplicaClient}, plus what is
 * particular to a directory laid out as Litestream's file replica.
 */
class FileReplicaClientTests extends ReplicaClientContractTests {

	@TempDir
	Path temp;

	private Path root;

	@Override
	protected ReplicaClient createClient() {
		// A root that does not exist yet: the client creates it on the first write
		this.root = this.temp.resolve("replica");
		return new FileReplicaClient(this.root);
	}

	@Override
	protected ReplicaClient createClientAt(String name) {
		return new FileReplicaClient(this.temp.resolve("other").resolve(name));
	}

	@Override
	protected List<String> rawObjectNames() throws IOException {
		if (!Files.exists(this.root)) {
			return List.of();
		}
		try (Stream<Path> paths = Files.walk(this.root)) {
			return paths.filter(Files::isRegularFile)
				.map((path) -> this.root.relativize(path).toString().replace('\\', '/'))
				.sorted()
				.toList();
		}
	}

	@Test
	void typeIsFileAndLocationIsTheRootUriWithoutTrailingSlash() throws IOException {
		assertThat(this.client.type()).isEqualTo("file");
		String expected = "file://" + this.root.toAbsolutePath().toUri().getRawPath().replaceAll("/$", "");
		assertThat(this.client.location()).isEqualTo(expected);
		write(0, 1, 1, new byte[1]);
		assertThat(new FileReplicaClient(this.root).location()).isEqualTo(expected);
		assertThat(this.client).hasToString("FileReplicaClient[" + expected + "]");
	}

	@Test
	void filesAreLaidOutAsLitestreamLaysThemOut() throws IOException {
		byte[] content = bytes(100, 1);
		write(0, 1, 1, content);
		write(1, 1, 0xff, content);
		write(9, 1, 0xabc, content);
		assertThat(rawObjectNames()).containsExactly("ltx/0/0000000000000001-0000000000000001.ltx",
				"ltx/1/0000000000000001-00000000000000ff.ltx", "ltx/9/0000000000000001-0000000000000abc.ltx");
		assertThat(this.root.resolve("ltx/0/0000000000000001-0000000000000001.ltx")).hasBinaryContent(content);
	}

	@Test
	void modificationTimeIsTheTimestamp() throws IOException {
		Instant timestamp = Instant.parse("2025-03-04T05:06:07.891Z");
		this.client.writeFile(0, 1, 2, timestamp, new ByteArrayInputStream(new byte[1]));
		Path file = this.root.resolve("ltx/0/0000000000000001-0000000000000002.ltx");
		assertThat(Files.getLastModifiedTime(file).toInstant()).isEqualTo(timestamp);
	}

	@Test
	void filesWrittenByLitestreamAreListedAndRead() throws IOException {
		Path level = Files.createDirectories(this.root.resolve("ltx/9"));
		Path file = Files.write(level.resolve("0000000000000001-000000000000002a.ltx"), bytes(321, 4));
		Instant mtime = Instant.parse("2024-10-11T12:13:14.5Z");
		Files.setLastModifiedTime(file, FileTime.from(mtime.plusNanos(123_456)));
		assertThat(this.client.listFiles(9)).containsExactly(new LtxFileInfo(9, 1, 0x2a, 321, mtime));
		assertThat(read(9, 1, 0x2a)).isEqualTo(bytes(321, 4));
	}

	@Test
	void temporaryAndForeignFilesAreNotListed() throws IOException {
		LtxFileInfo real = write(0, 1, 1, new byte[1]);
		Path level = this.root.resolve("ltx/0");
		Files.write(level.resolve(".0000000000000002-0000000000000002.ltx.tmp-1234abcd"), new byte[1]);
		Files.write(level.resolve("0000000000000003-0000000000000003.ltx.tmp"), new byte[1]);
		Files.write(level.resolve("0000000000000004-0000000000000004.LTX"), new byte[1]);
		Files.write(level.resolve("000000000000000A-000000000000000A.ltx"), new byte[1]);
		Files.write(level.resolve("0000000000000005-0000000000000005"), new byte[1]);
		Files.write(level.resolve("README"), new byte[1]);
		Files.createDirectory(level.resolve("0000000000000006-0000000000000006.ltx"));
		// A reversed range is not a file any writer produces
		Files.write(level.resolve("0000000000000008-0000000000000007.ltx"), new byte[1]);
		assertThat(this.client.listFiles(0)).containsExactly(real);
	}

	@Test
	void deleteAllKeepsTheRootAndFilesThatAreNotLtxFiles() throws IOException {
		write(0, 1, 1, new byte[1]);
		write(3, 1, 1, new byte[1]);
		Files.write(this.root.resolve("notes.txt"), new byte[1]);
		Files.write(this.root.resolve("ltx/3/.0000000000000002-0000000000000002.ltx.tmp-1"), new byte[1]);
		Files.write(this.root.resolve("ltx/0/keep.me"), new byte[1]);
		this.client.deleteAll();
		assertThat(rawObjectNames()).containsExactly("ltx/0/keep.me", "notes.txt");
		assertThat(this.root.resolve("ltx/3")).doesNotExist();
	}

	@Test
	void rootUnderARegularFileGivesANonRetryableErrorNamingThePath() throws IOException {
		Path file = Files.write(this.temp.resolve("not-a-directory"), new byte[1]);
		FileReplicaClient client = new FileReplicaClient(file.resolve("replica"));
		assertThatExceptionOfType(ReplicaException.class)
			.isThrownBy(() -> client.writeFile(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(new byte[1])))
			.satisfies((ex) -> assertThat(ex.retryable()).isFalse())
			.withMessageContaining(file.toString())
			.withMessageContaining("is not a directory");
	}

	@Test
	void rootThatIsARegularFileGivesANonRetryableErrorWhenListing() throws IOException {
		Path file = Files.write(this.temp.resolve("not-a-directory"), new byte[1]);
		FileReplicaClient client = new FileReplicaClient(file);
		assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.listFiles(0))
			.satisfies((ex) -> assertThat(ex.retryable()).isFalse())
			.withMessageContaining(file.toString());
	}

	@Test
	@DisabledOnOs(OS.WINDOWS)
	void unwritableRootGivesANonRetryableErrorNamingThePath() throws IOException {
		Path readOnly = Files.createDirectory(this.temp.resolve("read-only"),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-xr-xr-x")));
		try {
			// Permissions do not bind a superuser
			assumeThat(Files.isWritable(readOnly)).as("directory permissions are enforced for this user").isFalse();
			FileReplicaClient client = new FileReplicaClient(readOnly.resolve("replica"));
			assertThatExceptionOfType(ReplicaException.class)
				.isThrownBy(() -> client.writeFile(0, 1, 1, TIMESTAMP, new ByteArrayInputStream(new byte[1])))
				.satisfies((ex) -> assertThat(ex.retryable()).isFalse())
				.withMessageContaining(readOnly.toString());
		}
		finally {
			Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwxr-xr-x"));
		}
	}

	@Test
	void relativeRootIsResolvedAgainstTheWorkingDirectory() {
		FileReplicaClient client = new FileReplicaClient(Path.of("data", "..", "backup"));
		assertThat(client.root()).isEqualTo(Path.of("backup").toAbsolutePath());
		assertThat(client.location()).startsWith("file:///").endsWith("/backup");
	}

	@Test
	void returnedCreatedAtMatchesTheListing() throws IOException {
		Instant timestamp = Instant.now();
		LtxFileInfo written = this.client.writeFile(2, 1, 1, timestamp, new ByteArrayInputStream(new byte[1]));
		assertThat(written.createdAt()).isEqualTo(timestamp.truncatedTo(ChronoUnit.MILLIS));
		assertThat(this.client.listFiles(2)).containsExactly(written);
	}

}
