package io.github.litestream.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Small helpers: directories, child processes, load average.
 */
final class Bench {

	private Bench() {
	}

	static boolean hasLtxFile(Path directory) throws IOException {
		if (!Files.isDirectory(directory)) {
			return false;
		}
		try (Stream<Path> files = Files.list(directory)) {
			return files.anyMatch((f) -> f.getFileName().toString().endsWith(".ltx"));
		}
	}

	static void delete(Path path) throws IOException {
		if (!Files.exists(path)) {
			return;
		}
		try (Stream<Path> walk = Files.walk(path)) {
			for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(each);
			}
		}
	}

	static Path fresh(Path path) throws IOException {
		delete(path);
		return Files.createDirectories(path);
	}

	static String loadAverage() {
		try {
			String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
			return parts[0] + " " + parts[1] + " " + parts[2];
		}
		catch (IOException ex) {
			return "n/a";
		}
	}

	/** The result of a timed child process. */
	record Run(double wallMs, long peakRssKb, Map<String, String> result, String output) {
	}

	/**
	 * Runs a command to completion, timing it and sampling its peak RSS, and parses its
	 * last {@code RESULT k=v ...} line.
	 */
	static Run run(List<String> command, Path log) throws IOException, InterruptedException {
		long start = System.nanoTime();
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
		withoutAwsEnvironment(builder);
		Process process = builder.start();
		long rss;
		try (ProcMem.Sampler sampler = new ProcMem.Sampler(process.pid())) {
			if (!process.waitFor(20, TimeUnit.MINUTES)) {
				process.destroyForcibly();
				throw new IllegalStateException("Timed out: " + command);
			}
			rss = sampler.maxKb();
		}
		double ms = (System.nanoTime() - start) / 1e6;
		String output = Files.readString(log);
		if (process.exitValue() != 0) {
			throw new IllegalStateException(
					"'" + String.join(" ", command) + "' exited with " + process.exitValue() + ":\n" + tail(output));
		}
		Map<String, String> result = new HashMap<>();
		for (String line : output.split("\n")) {
			if (line.startsWith("RESULT ")) {
				for (String pair : line.substring(7).trim().split(" ")) {
					String[] kv = pair.split("=", 2);
					result.put(kv[0], kv[1]);
				}
			}
		}
		if (result.containsKey("rssKb")) {
			rss = Math.max(rss, Long.parseLong(result.get("rssKb")));
		}
		return new Run(ms, rss, result, output);
	}

	/**
	 * Drops {@code AWS_*} variables: Litestream's Go SDK fails on an
	 * {@code AWS_CA_BUNDLE} with a custom HTTP client ("unable to add custom RootCAs"),
	 * and the benchmark's S3Proxy needs none of them.
	 */
	static ProcessBuilder withoutAwsEnvironment(ProcessBuilder builder) {
		builder.environment().keySet().removeIf((name) -> name.startsWith("AWS_"));
		return builder;
	}

	static String tail(String output) {
		String[] lines = output.split("\n");
		return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 30), lines.length));
	}

	static List<String> javaCommand(String heap, String mainClass, String... args) {
		List<String> command = new ArrayList<>();
		command.add(ProcessHandle.current().info().command().orElse("java"));
		command.add(heap);
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(mainClass);
		command.addAll(List.of(args));
		return command;
	}

	static String firstLine(List<String> command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
				String line = reader.readLine();
				process.waitFor();
				return (line != null) ? line.strip() : "n/a";
			}
		}
		catch (IOException | InterruptedException ex) {
			return "n/a";
		}
	}

}
