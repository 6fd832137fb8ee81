package io.github.litestream.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files of the repository itself (README.md, docs/) for tests that hold the documentation
 * to the code. The repository root is found by walking up from the working directory,
 * which Maven sets to the module's directory:
 * {@code litestream-spring-boot-autoconfigure} in the main build,
 * {@code compat/boot40/autoconfigure} in the Spring Boot 4.0 job, which compiles the same
 * tests.
 */
public final class RepositoryFiles {

	private RepositoryFiles() {
	}

	/**
	 * Returns a file of the repository.
	 * @param relative its path from the repository root, such as {@code docs/guide.md}
	 * @return the file
	 * @throws IllegalStateException if no directory above the working directory holds the
	 * repository's README.md and docs/guide.md
	 */
	public static Path resolve(String relative) {
		Path start = Path.of("").toAbsolutePath();
		for (Path directory = start; directory != null; directory = directory.getParent()) {
			if (Files.isRegularFile(directory.resolve("README.md"))
					&& Files.isRegularFile(directory.resolve("docs/guide.md"))) {
				return directory.resolve(relative);
			}
		}
		throw new IllegalStateException("No directory at or above " + start
				+ " holds README.md and docs/guide.md: the tests must run inside the repository");
	}

}
