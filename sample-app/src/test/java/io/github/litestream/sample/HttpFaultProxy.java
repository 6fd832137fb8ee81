package io.github.litestream.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.testsupport.HttpFraming;
import io.github.litestream.testsupport.LoopbackProxy;

import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 proxy on a loopback port between one instance's S3 client and the S3
 * server, which injects faults request by request (it parses each request head and the
 * request body's framing; responses are forwarded as they come):
 * <ul>
 * <li>{@link #failLockRequests(Duration)}: answers {@code 500} to every request whose
 * path ends in {@code lock.json}, for a window that starts at the first such
 * request;</li>
 * <li>{@link #holdLockRequests()}: holds {@code lock.json} requests until
 * {@link #releaseLockRequests()};</li>
 * <li>{@link #holdLtxGets(Duration)}: holds {@code GET}s of {@code .ltx} files for a
 * window that starts at the first such request (a slow restore);</li>
 * <li>{@link #partition()}: closes every connection and then accepts connections but
 * answers nothing, as a network partition would, until {@link #heal()}.</li>
 * </ul>
 * One proxy per instance, so that one instance can be cut off alone. The proxy itself is
 * {@link LoopbackProxy}'s, the framing {@link HttpFraming}'s.
 */
final class HttpFaultProxy extends LoopbackProxy {

	private static final int MAX_HEAD = 64 * 1024;

	private final Object monitor = new Object();

	private final AtomicInteger lockRequests = new AtomicInteger();

	private final AtomicInteger lockFailures = new AtomicInteger();

	private final AtomicInteger ltxGets = new AtomicInteger();

	private final AtomicInteger held = new AtomicInteger();

	private volatile boolean partitioned;

	private volatile boolean lockGateClosed;

	private volatile @Nullable Duration lockFailureWindow;

	private volatile long lockFailuresUntil;

	private volatile @Nullable Duration ltxHoldWindow;

	private volatile long ltxHeldUntil;

	private HttpFaultProxy(String name, URI upstream) throws IOException {
		super(name, upstream);
	}

	static HttpFaultProxy start(String name, URI upstream) throws IOException {
		HttpFaultProxy proxy = new HttpFaultProxy(name, upstream);
		proxy.startAccepting();
		return proxy;
	}

	/**
	 * Answers {@code 500} to {@code lock.json} requests for {@code window}, counted from
	 * the first such request after this call.
	 */
	void failLockRequests(Duration window) {
		this.lockFailuresUntil = 0;
		this.lockFailureWindow = window;
	}

	/**
	 * Holds every {@code lock.json} request (unanswered, not forwarded) until
	 * {@link #releaseLockRequests()}.
	 */
	void holdLockRequests() {
		this.lockGateClosed = true;
	}

	void releaseLockRequests() {
		synchronized (this.monitor) {
			this.lockGateClosed = false;
			this.monitor.notifyAll();
		}
	}

	/**
	 * Holds {@code GET}s of {@code .ltx} files until {@code window} after the first one
	 * that arrives after this call, then forwards them; later ones pass.
	 */
	void holdLtxGets(Duration window) {
		this.ltxHeldUntil = 0;
		this.ltxHoldWindow = window;
	}

	/**
	 * Cuts the instance off: open connections are closed, new ones are accepted and never
	 * answered.
	 */
	void partition() {
		this.partitioned = true;
		closeOpen();
	}

	/**
	 * Ends the partition: the connections accepted meanwhile are closed (the client sees
	 * them fail and retries), new ones are forwarded.
	 */
	void heal() {
		synchronized (this.monitor) {
			this.partitioned = false;
			this.monitor.notifyAll();
		}
		closeOpen();
	}

	/** {@code lock.json} requests received so far (answered, failed or held). */
	int lockRequests() {
		return this.lockRequests.get();
	}

	/** {@code lock.json} requests answered with 500 so far. */
	int lockFailures() {
		return this.lockFailures.get();
	}

	/** {@code GET}s of {@code .ltx} files received so far. */
	int ltxGets() {
		return this.ltxGets.get();
	}

	/** Requests held so far (by a gate, a hold window or the partition). */
	int held() {
		return this.held.get();
	}

	@Override
	protected void handle(Socket client) {
		Socket upstreamSocket = null;
		try {
			InputStream in = client.getInputStream();
			while (!isClosed()) {
				byte[] head = HttpFraming.readHead(in, MAX_HEAD);
				if (head == null) {
					return;
				}
				Request request = Request.parse(head);
				if (this.partitioned) {
					this.held.incrementAndGet();
					// Nothing is answered; the connection is closed at the heal
					discardUntilClosed(in);
					return;
				}
				if (request.isLock()) {
					this.lockRequests.incrementAndGet();
					if (failsLock()) {
						this.lockFailures.incrementAndGet();
						if (!request.expectsContinue()) {
							// Read the body so that the client sees the answer, not a
							// reset
							forwardBody(in, OutputStream.nullOutputStream(), request);
						}
						answer500(client);
						return;
					}
					awaitLockGate();
				}
				if (request.isLtxGet()) {
					this.ltxGets.incrementAndGet();
					awaitLtxWindow();
				}
				if (this.partitioned || isClosed()) {
					discardUntilClosed(in);
					return;
				}
				if (upstreamSocket == null) {
					upstreamSocket = connectUpstream(client);
				}
				OutputStream out = upstreamSocket.getOutputStream();
				out.write(head);
				forwardBody(in, out, request);
				out.flush();
			}
		}
		catch (IOException ex) {
			// The client, the upstream or a fault closed the connection
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		finally {
			release(upstreamSocket);
		}
	}

	private boolean failsLock() {
		Duration window = this.lockFailureWindow;
		if (window == null) {
			return false;
		}
		synchronized (this.monitor) {
			long now = System.nanoTime();
			if (this.lockFailuresUntil == 0) {
				this.lockFailuresUntil = now + window.toNanos();
			}
			if (now - this.lockFailuresUntil < 0) {
				return true;
			}
			this.lockFailureWindow = null;
			return false;
		}
	}

	private void awaitLockGate() throws InterruptedException {
		synchronized (this.monitor) {
			if (this.lockGateClosed) {
				this.held.incrementAndGet();
			}
			while (this.lockGateClosed && !isClosed() && !this.partitioned) {
				this.monitor.wait(100);
			}
		}
	}

	private void awaitLtxWindow() throws InterruptedException {
		Duration window = this.ltxHoldWindow;
		if (window == null) {
			return;
		}
		long until;
		synchronized (this.monitor) {
			if (this.ltxHeldUntil == 0) {
				this.ltxHeldUntil = System.nanoTime() + window.toNanos();
			}
			until = this.ltxHeldUntil;
		}
		if (System.nanoTime() - until >= 0) {
			this.ltxHoldWindow = null;
			return;
		}
		this.held.incrementAndGet();
		long remaining;
		while ((remaining = until - System.nanoTime()) > 0 && !isClosed()) {
			synchronized (this.monitor) {
				this.monitor.wait(Math.max(1, Math.min(100, remaining / 1_000_000)));
			}
		}
	}

	private Socket connectUpstream(Socket client) throws IOException {
		Socket socket = connectUpstream();
		Thread back = new Thread(() -> pump(socket, client, ChunkHook.NONE, true), name() + "-response");
		back.setDaemon(true);
		back.start();
		return socket;
	}

	private static void forwardBody(InputStream in, OutputStream out, Request request) throws IOException {
		if (request.chunked()) {
			forwardChunked(in, out);
		}
		else {
			HttpFraming.copy(in, out, request.contentLength());
		}
	}

	private static void forwardChunked(InputStream in, OutputStream out) throws IOException {
		HttpFraming.copyChunked(in, out, new ArrayList<>());
	}

	private static void discardUntilClosed(InputStream in) throws IOException {
		byte[] buffer = new byte[8192];
		while (in.read(buffer) >= 0) {
			// a partitioned link: nothing comes back
		}
	}

	private static void answer500(Socket client) throws IOException {
		String body = "<Error><Code>InternalError</Code><Message>injected by the test</Message></Error>";
		String response = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nContent-Length: "
				+ body.length() + "\r\nConnection: close\r\n\r\n" + body;
		OutputStream out = client.getOutputStream();
		out.write(response.getBytes(StandardCharsets.US_ASCII));
		out.flush();
		client.shutdownOutput();
	}

	@Override
	public void close() {
		super.close();
		releaseLockRequests();
	}

	@Override
	public String toString() {
		return "fault proxy '" + name() + "' (" + endpoint() + "): " + this.lockRequests + " lock.json requests, "
				+ this.lockFailures + " answered 500, " + this.ltxGets + " LTX GETs, " + this.held + " held";
	}

	/**
	 * What the proxy needs to know of a request: its method, path and body framing.
	 */
	private record Request(String method, String path, long contentLength, boolean chunked, boolean expectsContinue) {

		static Request parse(byte[] head) throws IOException {
			String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
			String[] requestLine = lines[0].split(" ");
			if (requestLine.length < 2) {
				throw new IOException("Not an HTTP request: " + lines[0]);
			}
			String target = requestLine[1];
			int query = target.indexOf('?');
			String path = (query >= 0) ? target.substring(0, query) : target;
			long contentLength = 0;
			boolean chunked = false;
			boolean expectsContinue = false;
			for (int i = 1; i < lines.length; i++) {
				int colon = lines[i].indexOf(':');
				if (colon <= 0) {
					continue;
				}
				String header = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
				String value = lines[i].substring(colon + 1).trim();
				switch (header) {
					case "content-length" -> contentLength = Long.parseLong(value);
					case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
					case "expect" -> expectsContinue = value.equalsIgnoreCase("100-continue");
					default -> {
					}
				}
			}
			return new Request(requestLine[0], path, contentLength, chunked, expectsContinue);
		}

		boolean isLock() {
			return this.path.endsWith("lock.json");
		}

		boolean isLtxGet() {
			return "GET".equals(this.method) && this.path.endsWith(".ltx");
		}

	}

}
