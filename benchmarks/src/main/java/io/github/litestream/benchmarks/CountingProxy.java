package io.github.litestream.benchmarks;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback HTTP/1.1 forwarder in front of S3Proxy that counts S3 requests by operation.
 * Bytes are forwarded unchanged (so SigV4 signatures, which cover the {@code Host} header
 * the client sent, still verify); only request heads are parsed, and bodies are skipped
 * by {@code Content-Length} or chunked framing.
 * <p>
 * Requests on the lease object ({@code lock.json}) are counted apart, as
 * {@code "<op> (lease)"}. {@link #stall(boolean)} simulates a hung S3 server: while
 * stalled, every new request is held unanswered (the client sees no response until its
 * own timeout); when the stall ends, held requests are dropped (their connections closed,
 * nothing forwarded), as a network partition would, and counted as {@code "dropped"}.
 */
final class CountingProxy implements AutoCloseable {

	private final ServerSocket server;

	private final URI upstream;

	private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

	private final java.util.Queue<String> requestLog = new java.util.concurrent.ConcurrentLinkedQueue<>();

	private final long startNanos = System.nanoTime();

	private final java.util.Queue<Event> events = new java.util.concurrent.ConcurrentLinkedQueue<>();

	private final Object stallLock = new Object();

	private volatile boolean closed;

	private boolean stalled;

	private long stallGeneration;

	/** One forwarded request: when its head was read ({@link System#nanoTime()}). */
	record Event(long nanos, String op, String target) {
	}

	CountingProxy(URI upstream) throws IOException {
		this.upstream = upstream;
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		Thread accept = new Thread(this::accept, "counting-proxy");
		accept.setDaemon(true);
		accept.start();
	}

	URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
	}

	/** Every request so far: seconds since the proxy started, operation, request line. */
	java.util.List<String> requestLog() {
		return java.util.List.copyOf(this.requestLog);
	}

	/** Every forwarded request so far, in order. */
	java.util.List<Event> events() {
		return java.util.List.copyOf(this.events);
	}

	/**
	 * Starts or ends a stall: requests read while stalled are held, then dropped.
	 * @param stall whether the upstream is unreachable from now on
	 */
	void stall(boolean stall) {
		synchronized (this.stallLock) {
			if (this.stalled && !stall) {
				this.stallGeneration++;
			}
			this.stalled = stall;
			this.stallLock.notifyAll();
		}
	}

	/** Holds the caller while stalled; returns whether the request may be forwarded. */
	private boolean passStall() {
		synchronized (this.stallLock) {
			if (!this.stalled) {
				return true;
			}
			long generation = this.stallGeneration;
			while (this.stalled && generation == this.stallGeneration && !this.closed) {
				try {
					this.stallLock.wait(100);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
			}
			return false;
		}
	}

	/** Counts since the last reset, by operation. */
	Map<String, Long> snapshotAndReset() {
		Map<String, Long> out = new TreeMap<>();
		this.counts.forEach((k, v) -> out.put(k, v.getAndSet(0)));
		return out;
	}

	private void accept() {
		while (!this.closed) {
			try {
				Socket client = this.server.accept();
				Socket upstreamSocket = new Socket(this.upstream.getHost(), this.upstream.getPort());
				Thread down = new Thread(() -> pipe(upstreamSocket, client), "proxy-down");
				down.setDaemon(true);
				down.start();
				Thread up = new Thread(() -> forwardRequests(client, upstreamSocket), "proxy-up");
				up.setDaemon(true);
				up.start();
			}
			catch (IOException ex) {
				// Closed.
			}
		}
	}

	private static void pipe(Socket from, Socket to) {
		try (from; to) {
			from.getInputStream().transferTo(to.getOutputStream());
		}
		catch (IOException ex) {
			// Connection closed.
		}
	}

	private void forwardRequests(Socket client, Socket upstreamSocket) {
		try (client; upstreamSocket) {
			InputStream in = new BufferedInputStream(client.getInputStream());
			OutputStream out = upstreamSocket.getOutputStream();
			while (true) {
				ByteArrayOutputStream head = new ByteArrayOutputStream();
				String requestLine = readLine(in, head);
				if (requestLine == null) {
					return;
				}
				long length = 0;
				boolean chunked = false;
				String line;
				String copySource = null;
				while ((line = readLine(in, head)) != null && !line.isEmpty()) {
					String lower = line.toLowerCase(Locale.ROOT);
					if (lower.startsWith("content-length:")) {
						length = Long.parseLong(line.substring(15).strip());
					}
					else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
						chunked = true;
					}
					else if (lower.startsWith("x-amz-copy-source:")) {
						copySource = line;
					}
				}
				if (!passStall()) {
					this.counts.computeIfAbsent("dropped", (k) -> new AtomicLong()).incrementAndGet();
					String[] parts = requestLine.split(" ");
					this.events
						.add(new Event(System.nanoTime(), "dropped " + parts[0], (parts.length > 1) ? parts[1] : ""));
					return;
				}
				count(requestLine, copySource != null);
				out.write(head.toByteArray());
				if (chunked) {
					copyChunked(in, out);
				}
				else {
					copy(in, out, length);
				}
				out.flush();
			}
		}
		catch (IOException ex) {
			// Connection closed.
		}
	}

	private void count(String requestLine, boolean copy) {
		String[] parts = requestLine.split(" ");
		String method = parts[0];
		String target = (parts.length > 1) ? parts[1] : "";
		String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
		String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
		boolean bucketLevel = path.chars().filter((c) -> c == '/').count() <= 1 || path.endsWith("/");
		String op = switch (method) {
			case "GET" -> (bucketLevel || query.contains("list-type") || query.contains("prefix=")) ? "LIST" : "GET";
			case "PUT" -> copy ? "COPY" : (query.contains("partNumber") ? "PUT (part)" : "PUT");
			case "POST" -> query.contains("delete") ? "DELETE (batch)"
					: query.contains("uploads") ? "PUT (multipart start)" : "PUT (multipart end)";
			case "DELETE" -> query.contains("uploadId") ? "DELETE (abort)" : "DELETE";
			case "HEAD" -> "HEAD";
			default -> method;
		};
		if (path.endsWith("/lock.json")) {
			op = op + " (lease)";
		}
		this.events.add(new Event(System.nanoTime(), op, target));
		this.counts.computeIfAbsent(op, (k) -> new AtomicLong()).incrementAndGet();
		this.requestLog.add(String.format(Locale.ROOT, "%9.3f %-22s %s %s", (System.nanoTime() - this.startNanos) / 1e9,
				op, method, target));
	}

	private static String readLine(InputStream in, ByteArrayOutputStream head) throws IOException {
		StringBuilder line = new StringBuilder();
		int c;
		while ((c = in.read()) != -1) {
			head.write(c);
			if (c == '\n') {
				int n = line.length();
				return (n > 0 && line.charAt(n - 1) == '\r') ? line.substring(0, n - 1) : line.toString();
			}
			line.append((char) c);
		}
		return (line.length() == 0) ? null : line.toString();
	}

	private static void copy(InputStream in, OutputStream out, long length) throws IOException {
		byte[] buffer = new byte[65536];
		long left = length;
		while (left > 0) {
			int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
			if (n < 0) {
				throw new IOException("truncated body");
			}
			out.write(buffer, 0, n);
			left -= n;
		}
	}

	private static void copyChunked(InputStream in, OutputStream out) throws IOException {
		while (true) {
			ByteArrayOutputStream raw = new ByteArrayOutputStream();
			String sizeLine = readLine(in, raw);
			out.write(raw.toByteArray());
			if (sizeLine == null) {
				return;
			}
			int semicolon = sizeLine.indexOf(';');
			long size = Long.parseLong((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).strip(), 16);
			if (size == 0) {
				// Trailers until an empty line.
				String trailer;
				do {
					raw.reset();
					trailer = readLine(in, raw);
					out.write(raw.toByteArray());
				}
				while (trailer != null && !trailer.isEmpty());
				return;
			}
			copy(in, out, size + 2);
		}
	}

	@Override
	public void close() throws IOException {
		this.closed = true;
		this.server.close();
	}

	static String describe(Map<String, Long> counts) {
		StringBuilder s = new StringBuilder();
		counts.forEach((k, v) -> {
			if (v > 0) {
				s.append(s.length() > 0 ? ", " : "").append(k).append(' ').append(v);
			}
		});
		return (s.length() == 0) ? "none" : s.toString();
	}

}
