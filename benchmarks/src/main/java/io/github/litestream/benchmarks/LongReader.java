package io.github.litestream.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A read transaction held open in another process: the {@code sqlite3} shell runs
 * {@code BEGIN; SELECT count(*) FROM bench;} and keeps the transaction (and so its WAL
 * read mark) until {@link #close()} commits it.
 */
final class LongReader implements AutoCloseable {

	private final Process process;

	private final Writer stdin;

	private LongReader(Process process, Writer stdin) {
		this.process = process;
		this.stdin = stdin;
	}

	static LongReader open(Path db) throws IOException {
		Process process = new ProcessBuilder("sqlite3", db.toAbsolutePath().toString()).redirectErrorStream(true)
			.start();
		Writer stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
		stdin.write(".timeout 5000\nBEGIN;\nSELECT count(*) FROM bench;\nSELECT 'READY';\n");
		stdin.flush();
		BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream()));
		StringBuilder seen = new StringBuilder();
		String line;
		while ((line = out.readLine()) != null) {
			if (line.equals("READY")) {
				Thread drain = new Thread(() -> {
					try {
						out.transferTo(Writer.nullWriter());
					}
					catch (IOException ex) {
						// Exited.
					}
				}, "long-reader-out");
				drain.setDaemon(true);
				drain.start();
				return new LongReader(process, stdin);
			}
			seen.append(line).append('\n');
		}
		throw new IllegalStateException("sqlite3 did not open a read transaction: " + seen);
	}

	@Override
	public void close() throws IOException, InterruptedException {
		try {
			this.stdin.write("COMMIT;\n.quit\n");
			this.stdin.close();
		}
		catch (IOException ex) {
			// Already gone.
		}
		if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
			this.process.destroyForcibly().waitFor();
		}
	}

}
