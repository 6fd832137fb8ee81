package io.github.litestream.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs external commands with bounded waits, their output going to a log file so that a
 * chatty process can never block on a full pipe.
 */
final class Processes {

	/** How many log lines an exception message quotes. */
	static final int TAIL_LINES = 40;

	/** How long to wait for a process to disappear after SIGKILL. */
	static final Duration KILL_WAIT = Duration.ofSeconds(30);

	private static final int TAIL_BYTES = 16 * 1024;

	private Processes() {
	}

	/**
	 * Starts a command with stdout and stderr appended to {@code log} and stdin closed.
	 */
	static Process start(List<String> command, Path log) {
		return start(command, log, log);
	}

	static Process start(List<String> command, Path stdout, Path stderr) {
		ProcessBuilder builder = new ProcessBuilder(command)
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
		if (stdout.equals(stderr)) {
			builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()));
		}
		else {
			builder.redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
				.redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
		}
		try {
			return builder.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not start '" + describe(command) + "': " + ex.getMessage(), ex);
		}
	}

	/**
	 * Runs a command to completion, killing it when it outlives {@code timeout}.
	 */
	static ProcessResult run(List<String> command, Path log, Duration timeout) {
		Process process = start(command, log);
		if (!waitFor(process, timeout)) {
			kill(process);
			throw new IllegalStateException("'" + describe(command) + "' did not finish within " + timeout
					+ " and was killed; output (" + log + "):\n" + tail(log));
		}
		return new ProcessResult(List.copyOf(command), process.exitValue(), read(log), log);
	}

	/**
	 * Sends SIGTERM, waits up to {@code grace}, then SIGKILL.
	 * @return the exit code
	 */
	static int terminate(Process process, Duration grace) {
		if (process.isAlive()) {
			// Process.destroy() is SIGTERM on Linux: the process may shut down cleanly.
			process.destroy();
			if (!waitFor(process, grace)) {
				return kill(process);
			}
		}
		return process.exitValue();
	}

	/**
	 * Sends SIGKILL and waits for the process to disappear.
	 * @return the exit code
	 */
	static int kill(Process process) {
		// destroyForcibly() is SIGKILL on Linux.
		process.destroyForcibly();
		if (!waitFor(process, KILL_WAIT)) {
			throw new IllegalStateException("Process " + process.pid() + " survived SIGKILL for " + KILL_WAIT);
		}
		return process.exitValue();
	}

	static boolean waitFor(Process process, Duration timeout) {
		try {
			return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for process " + process.pid(), ex);
		}
	}

	static String read(Path file) {
		try {
			return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * The last lines of a log file, read from its end so that a large log costs little.
	 */
	static String tail(Path file) {
		if (!Files.exists(file)) {
			return "<no output file " + file + ">";
		}
		try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
			long length = in.length();
			long start = Math.max(0, length - TAIL_BYTES);
			byte[] bytes = new byte[(int) (length - start)];
			in.seek(start);
			in.readFully(bytes);
			List<String> lines = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n", -1));
			int from = Math.max(0, lines.size() - TAIL_LINES);
			String tail = String.join("\n", lines.subList(from, lines.size())).stripTrailing();
			return tail.isEmpty() ? "<empty>" : tail;
		}
		catch (IOException ex) {
			return "<could not read " + file + ": " + ex.getMessage() + ">";
		}
	}

	static String describe(List<String> command) {
		return command.stream()
			.map((arg) -> (arg.isEmpty() || arg.matches(".*[\\s'\"$].*")) ? "'" + arg.replace("'", "'\\''") + "'" : arg)
			.collect(Collectors.joining(" "));
	}

}
