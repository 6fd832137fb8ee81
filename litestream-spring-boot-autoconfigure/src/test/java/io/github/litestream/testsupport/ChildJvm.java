package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A {@code main} class run in a separate JVM from the current test classpath, so a test
 * can kill it at any instant (SIGKILL) the way a crash or an OOM kill would.
 * <p>
 * Its stdout and stderr go to {@code <name>.out} and {@code <name>.err} in the given
 * directory; {@link #awaitLine} reads stdout as it grows. The classpath is passed in an
 * {@code @argfile}, so its length never hits the kernel's limit on one argument.
 */
public final class ChildJvm implements AutoCloseable {

	/** How long {@link #stop()} waits after SIGTERM before SIGKILL. */
	public static final Duration STOP_GRACE = Duration.ofSeconds(30);

	private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

	private final String name;

	private final Process process;

	private final Path stdout;

	private final Path stderr;

	private final List<String> lines = new ArrayList<>();

	private long consumed;

	private ChildJvm(String name, Process process, Path stdout, Path stderr) {
		this.name = name;
		this.process = process;
		this.stdout = stdout;
		this.stderr = stderr;
	}

	/**
	 * Starts {@code mainClass} in a new JVM.
	 * @param workDir where the output files (and the argument file) go
	 * @param name a name for the output files, unique within {@code workDir}
	 * @param mainClass a class with a {@code main} method on the test classpath
	 * @param jvmOptions options such as {@code -Xmx64m} or {@code -Dkey=value}
	 * @param args the program arguments
	 * @return the running child
	 */
	public static ChildJvm start(Path workDir, String name, Class<?> mainClass, List<String> jvmOptions,
			List<String> args) {
		return start(workDir, name, System.getProperty("java.class.path"), mainClass, jvmOptions, args);
	}

	/**
	 * Starts {@code mainClass} in a new JVM with another classpath, such as the test
	 * classpath with one library swapped for another version.
	 * @param workDir where the output files (and the argument file) go
	 * @param name a name for the output files, unique within {@code workDir}
	 * @param classpath the classpath, entries separated by
	 * {@link java.io.File#pathSeparator}
	 * @param mainClass a class with a {@code main} method on {@code classpath}
	 * @param jvmOptions options such as {@code -Xmx64m} or {@code -Dkey=value}
	 * @param args the program arguments
	 * @return the running child
	 */
	public static ChildJvm start(Path workDir, String name, String classpath, Class<?> mainClass,
			List<String> jvmOptions, List<String> args) {
		Path stdout = workDir.resolve(name + ".out");
		Path stderr = workDir.resolve(name + ".err");
		Path argFile = workDir.resolve(name + ".args");
		try {
			Files.createDirectories(workDir);
			Files.writeString(argFile, "-cp " + argFileQuote(classpath) + "\n");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		List<String> command = new ArrayList<>();
		command.add(javaExecutable());
		if (Runtime.version().feature() >= 22) {
			// sqlite-jdbc loads a native library; newer JDKs warn without this.
			command.add("--enable-native-access=ALL-UNNAMED");
		}
		command.addAll(jvmOptions);
		command.add("@" + argFile);
		command.add(mainClass.getName());
		command.addAll(args);
		return new ChildJvm(name, Processes.start(command, stdout, stderr), stdout, stderr);
	}

	private static String javaExecutable() {
		return ProcessHandle.current()
			.info()
			.command()
			.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
	}

	private static String argFileQuote(String value) {
		return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
	}

	/**
	 * The process id.
	 * @return the pid
	 */
	public long pid() {
		return this.process.pid();
	}

	/**
	 * Whether the child is still running.
	 * @return {@code true} while it lives
	 */
	public boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * The file that receives the child's stdout.
	 * @return its path
	 */
	public Path stdout() {
		return this.stdout;
	}

	/**
	 * The file that receives the child's stderr.
	 * @return its path
	 */
	public Path stderr() {
		return this.stderr;
	}

	/**
	 * The exit code, once the child has exited.
	 * @return the exit code, or empty while it runs
	 */
	public OptionalInt exitCode() {
		return this.process.isAlive() ? OptionalInt.empty() : OptionalInt.of(this.process.exitValue());
	}

	/**
	 * Every complete line the child has printed to stdout so far.
	 * @return the lines, oldest first
	 */
	public synchronized List<String> lines() {
		try (RandomAccessFile in = new RandomAccessFile(this.stdout.toFile(), "r")) {
			long length = in.length();
			if (length > this.consumed) {
				byte[] bytes = new byte[(int) Math.min(length - this.consumed, Integer.MAX_VALUE - 8)];
				in.seek(this.consumed);
				in.readFully(bytes);
				// Only whole lines are consumed: a line still being written (or a
				// multi-byte character split across reads) is read whole later.
				int lastNewline = lastIndexOf(bytes, (byte) '\n');
				if (lastNewline >= 0) {
					this.consumed += lastNewline + 1;
					this.lines
						.addAll(List.of(new String(bytes, 0, lastNewline, StandardCharsets.UTF_8).split("\n", -1)));
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return List.copyOf(this.lines);
	}

	private static int lastIndexOf(byte[] bytes, byte value) {
		for (int i = bytes.length - 1; i >= 0; i--) {
			if (bytes[i] == value) {
				return i;
			}
		}
		return -1;
	}

	/**
	 * Waits until the child prints a stdout line that matches {@code regex} entirely
	 * (lines printed before the call count).
	 * @param regex a regular expression for a whole line
	 * @param timeout how long to wait
	 * @return the first matching line
	 * @throws AssertionError on timeout or if the child exits first, quoting its output
	 */
	public String awaitLine(String regex, Duration timeout) {
		Pattern pattern = Pattern.compile(regex);
		AtomicReference<@Nullable String> found = new AtomicReference<>();
		await("a line matching /" + regex + "/", timeout, () -> {
			lines().stream().filter((line) -> pattern.matcher(line).matches()).findFirst().ifPresent(found::set);
			if (found.get() == null && !this.process.isAlive()) {
				// One last read: the line may have been written just before the exit.
				lines().stream().filter((line) -> pattern.matcher(line).matches()).findFirst().ifPresent(found::set);
				if (found.get() == null) {
					throw new IllegalStateException(this + " exited with " + this.process.exitValue()
							+ " before printing a line matching /" + regex + "/\n" + outputTail());
				}
			}
			return found.get() != null;
		});
		String line = found.get();
		if (line == null) {
			throw new IllegalStateException("Awaited line vanished");
		}
		return line;
	}

	/**
	 * Waits for the child to exit by itself.
	 * @param timeout how long to wait
	 * @return the exit code
	 * @throws AssertionError if it is still running after {@code timeout}
	 */
	public int awaitExit(Duration timeout) {
		if (!Processes.waitFor(this.process, timeout)) {
			throw new AssertionError(this + " still running after " + timeout + "\n" + outputTail());
		}
		return this.process.exitValue();
	}

	/**
	 * Kills the child with SIGKILL (no shutdown hooks, no flush) and waits for it.
	 * @return the exit code (137 on Linux)
	 */
	public int kill() {
		return Processes.kill(this.process);
	}

	/**
	 * Asks the child to stop with SIGTERM (shutdown hooks run), then SIGKILL after
	 * {@link #STOP_GRACE}.
	 * @return the exit code
	 */
	public int stop() {
		return Processes.terminate(this.process, STOP_GRACE);
	}

	/**
	 * Kills the child if it is still running.
	 */
	@Override
	public void close() {
		if (this.process.isAlive()) {
			kill();
		}
	}

	/**
	 * The last lines of stdout and stderr, for assertion messages.
	 * @return the tails of both files
	 */
	public String outputTail() {
		return "--- " + this.stdout + ":\n" + Processes.tail(this.stdout) + "\n--- " + this.stderr + ":\n"
				+ Processes.tail(this.stderr);
	}

	private void await(String what, Duration timeout, Callable<Boolean> condition) {
		try {
			Awaitility.await(what)
				.atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(POLL_INTERVAL)
				.until(condition);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(
					"Timed out after " + timeout + " waiting for " + this + " to print " + what + "\n" + outputTail(),
					ex);
		}
	}

	@Override
	public String toString() {
		return "child JVM '" + this.name + "' (pid " + pid() + ")";
	}

}
