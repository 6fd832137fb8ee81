package io.github.litestream.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Our engine in a child JVM ({@code EngineChild serve}) replicating a database that the
 * harness writes, so that the engine's CPU time can be read from {@code /proc} apart from
 * the writer's. The writer sends one byte per commit on the child's standard input, which
 * the child turns into {@code notifyCommit()} (what the starter's DataSource does in
 * process).
 */
final class EngineProcess implements Replication {

	private final Process process;

	private final OutputStream stdin;

	private EngineProcess(Process process) {
		this.process = process;
		this.stdin = process.getOutputStream();
	}

	static EngineProcess start(Path db, ReplicaTarget target, Duration syncInterval, String heap, Path log)
			throws IOException, InterruptedException {
		ProcessBuilder builder = new ProcessBuilder(Bench.javaCommand(heap, EngineChild.class.getName(), "serve",
				db.toAbsolutePath().toString(), Targets.format(target), String.valueOf(syncInterval.toMillis())))
			.redirectErrorStream(true);
		Process process = Bench.withoutAwsEnvironment(builder).start();
		CountDownLatch ready = new CountDownLatch(1);
		Thread out = new Thread(() -> {
			try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream()));
					PrintWriter writer = new PrintWriter(Files.newBufferedWriter(log))) {
				String line;
				while ((line = reader.readLine()) != null) {
					writer.println(line);
					writer.flush();
					if (line.equals("READY")) {
						ready.countDown();
					}
				}
			}
			catch (IOException ex) {
				// The child exited.
			}
		}, "engine-child-out");
		out.setDaemon(true);
		out.start();
		long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
		while (!ready.await(50, TimeUnit.MILLISECONDS)) {
			if (!process.isAlive() || System.nanoTime() > deadline) {
				process.destroyForcibly();
				throw new IllegalStateException("engine child did not start: " + Files.readString(log));
			}
		}
		return new EngineProcess(process);
	}

	@Override
	public void afterCommit() {
		try {
			this.stdin.write('c');
			this.stdin.flush();
		}
		catch (IOException ex) {
			throw new IllegalStateException("engine child is gone", ex);
		}
	}

	@Override
	public boolean ownsCheckpoints() {
		return true;
	}

	@Override
	public long sidecarPid() {
		return this.process.pid();
	}

	@Override
	public void close() throws InterruptedException {
		try {
			this.stdin.close();
		}
		catch (IOException ex) {
			// Already gone.
		}
		if (!this.process.waitFor(40, TimeUnit.SECONDS)) {
			this.process.destroyForcibly().waitFor();
		}
	}

}
