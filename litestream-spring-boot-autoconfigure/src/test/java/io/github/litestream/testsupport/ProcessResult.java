package io.github.litestream.testsupport;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of a finished external command.
 *
 * @param command the command line that ran
 * @param exitCode the process exit code
 * @param output everything the command printed, stdout and stderr interleaved
 * @param log the file that holds {@code output}
 */
public record ProcessResult(List<String> command, int exitCode, String output, Path log) {

	/**
	 * Whether the command exited with status 0.
	 * @return {@code true} on success
	 */
	public boolean succeeded() {
		return this.exitCode == 0;
	}

}
