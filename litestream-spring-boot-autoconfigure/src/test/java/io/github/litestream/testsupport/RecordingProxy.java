package io.github.litestream.testsupport;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.jspecify.annotations.Nullable;

/**
 * A TCP proxy on a loopback port in front of an S3 server that forwards every byte
 * unchanged and records the head of every HTTP/1.1 request going through it: method,
 * target, headers and the trailers of chunked bodies. Tests point a client at
 * {@link #endpoint()} and assert on {@link #requests()}: what reached the server, not
 * what the client was told to send.
 * <p>
 * Bodies are skipped by {@code Content-Length} or by HTTP chunked framing, so keep-alive
 * connections carrying many requests are followed; {@code Expect: 100-continue} works
 * because answers flow back independently.
 * <p>
 * {@link #stall(boolean)} makes the server unreachable as a network partition does:
 * requests arriving meanwhile are held unanswered and, when the stall ends, dropped
 * (their connections closed, nothing forwarded); they are listed by {@link #held()}.
 */
public final class RecordingProxy extends LoopbackProxy {

	private final List<Request> requests = new CopyOnWriteArrayList<>();

	private final List<Request> held = new CopyOnWriteArrayList<>();

	/** While not {@code null}: the current stall, counted down when it ends. */
	private volatile @Nullable CountDownLatch stall;

	private RecordingProxy(URI upstream) throws IOException {
		super("recording-proxy", upstream);
	}

	/**
	 * Starts a proxy in front of a server.
	 * @param upstream the server's endpoint ({@code http://host:port})
	 * @return the running proxy
	 * @throws IOException if no loopback port can be bound
	 */
	public static RecordingProxy start(URI upstream) throws IOException {
		RecordingProxy proxy = new RecordingProxy(upstream);
		proxy.startAccepting();
		return proxy;
	}

	/**
	 * Returns the requests recorded so far, in the order their heads arrived.
	 * @return the requests
	 */
	public List<Request> requests() {
		return List.copyOf(this.requests);
	}

	/**
	 * Forgets the requests recorded so far.
	 */
	public void clear() {
		this.requests.clear();
	}

	/**
	 * Starts or ends a stall: from its start, requests are held unanswered; at its end
	 * they are dropped.
	 * @param stalled whether the server is unreachable from now on
	 */
	public synchronized void stall(boolean stalled) {
		CountDownLatch current = this.stall;
		if (stalled && current == null) {
			this.stall = new CountDownLatch(1);
		}
		else if (!stalled && current != null) {
			this.stall = null;
			current.countDown();
		}
	}

	/**
	 * Returns the requests held by stalls, dropped or still held.
	 * @return the requests, in the order they arrived
	 */
	public List<Request> held() {
		return List.copyOf(this.held);
	}

	@Override
	protected void handle(Socket client) {
		Socket server;
		try {
			server = connectUpstream();
		}
		catch (IOException ex) {
			return;
		}
		daemon("recording-proxy-down", () -> pump(server, client, ChunkHook.NONE, true));
		forwardRequests(client, server);
	}

	private void forwardRequests(Socket client, Socket server) {
		try {
			InputStream in = new BufferedInputStream(client.getInputStream());
			OutputStream out = server.getOutputStream();
			while (true) {
				ByteArrayOutputStream line = new ByteArrayOutputStream();
				String requestLine = HttpFraming.readLine(in, line);
				if (requestLine == null) {
					return;
				}
				CountDownLatch stall = this.stall;
				if (stall != null && !requestLine.isEmpty()) {
					// Held until the stall ends, then dropped: finally closes both sides
					this.held.add(request(requestLine, HttpFraming.readHeaders(in, OutputStream.nullOutputStream()),
							List.of()));
					stall.await();
					return;
				}
				line.writeTo(out);
				if (requestLine.isEmpty()) {
					continue;
				}
				Map<String, List<String>> headers = HttpFraming.readHeaders(in, out);
				List<String> trailers = new ArrayList<>();
				Request request = request(requestLine, headers, trailers);
				this.requests.add(request);
				out.flush();
				String transferEncoding = request.header("transfer-encoding");
				if (transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked")) {
					HttpFraming.copyChunked(in, out, trailers);
				}
				else {
					String length = request.header("content-length");
					HttpFraming.copy(in, out, (length != null) ? Long.parseLong(length.strip()) : 0);
				}
				out.flush();
			}
		}
		catch (IOException ex) {
			// Connection closed
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		finally {
			closeQuietly(client);
			release(server);
		}
	}

	private static Request request(String requestLine, Map<String, List<String>> headers, List<String> trailers) {
		String[] parts = requestLine.split(" ");
		return new Request(parts[0], (parts.length > 1) ? parts[1] : "", Collections.unmodifiableMap(headers),
				trailers);
	}

	@Override
	public void close() {
		stall(false);
		super.close();
	}

	/**
	 * One recorded request.
	 *
	 * @param method the HTTP method
	 * @param target the request target (path and query)
	 * @param headers the headers, names in lower case
	 * @param trailers the names of the trailers of a chunked body, in lower case
	 */
	public record Request(String method, String target, Map<String, List<String>> headers, List<String> trailers) {

		/**
		 * Returns the first value of a header.
		 * @param name the name, in any case
		 * @return the value, or {@code null}
		 */
		public @Nullable String header(String name) {
			List<String> values = this.headers.get(name.toLowerCase(Locale.ROOT));
			return (values == null || values.isEmpty()) ? null : values.get(0);
		}

		/**
		 * Returns whether the target has a query parameter.
		 * @param name the parameter name
		 * @return whether it is present
		 */
		public boolean hasQuery(String name) {
			int query = this.target.indexOf('?');
			if (query < 0) {
				return false;
			}
			for (String parameter : this.target.substring(query + 1).split("&")) {
				if (parameter.equals(name) || parameter.startsWith(name + "=")) {
					return true;
				}
			}
			return false;
		}

		@Override
		public String toString() {
			return this.method + " " + this.target + " " + this.headers.keySet();
		}

	}

}
