package io.github.litestream.testsupport;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
public final class RecordingProxy implements AutoCloseable {

	private final ServerSocket server;

	private final InetSocketAddress upstream;

	private final List<Request> requests = new CopyOnWriteArrayList<>();

	private final List<Request> held = new CopyOnWriteArrayList<>();

	private final Set<Socket> open = ConcurrentHashMap.newKeySet();

	/** While not {@code null}: the current stall, counted down when it ends. */
	private volatile @Nullable CountDownLatch stall;

	private volatile boolean closed;

	private RecordingProxy(ServerSocket server, InetSocketAddress upstream) {
		this.server = server;
		this.upstream = upstream;
	}

	/**
	 * Starts a proxy in front of a server.
	 * @param upstream the server's endpoint ({@code http://host:port})
	 * @return the running proxy
	 * @throws IOException if no loopback port can be bound
	 */
	public static RecordingProxy start(URI upstream) throws IOException {
		ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		RecordingProxy proxy = new RecordingProxy(server,
				new InetSocketAddress(upstream.getHost(), upstream.getPort()));
		Thread acceptor = new Thread(proxy::acceptLoop, "recording-proxy-accept");
		acceptor.setDaemon(true);
		acceptor.start();
		return proxy;
	}

	/**
	 * Returns the endpoint clients use instead of the server's.
	 * @return {@code http://127.0.0.1:<port>}
	 */
	public URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
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

	private void acceptLoop() {
		while (!this.closed) {
			try {
				Socket client = this.server.accept();
				Socket server = new Socket();
				server.connect(this.upstream, 5_000);
				this.open.add(client);
				this.open.add(server);
				start("recording-proxy-up", () -> forwardRequests(client, server));
				start("recording-proxy-down", () -> pipe(server, client));
			}
			catch (IOException ex) {
				if (!this.closed) {
					continue;
				}
				return;
			}
		}
	}

	private static void start(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		thread.start();
	}

	private void pipe(Socket from, Socket to) {
		try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
			in.transferTo(out);
		}
		catch (IOException ex) {
			// The other side closed: so does this one
		}
		finally {
			closeQuietly(from);
			closeQuietly(to);
		}
	}

	private void forwardRequests(Socket client, Socket server) {
		try {
			InputStream in = new BufferedInputStream(client.getInputStream());
			OutputStream out = server.getOutputStream();
			while (true) {
				ByteArrayOutputStream line = new ByteArrayOutputStream();
				String requestLine = readLine(in, line);
				if (requestLine == null) {
					return;
				}
				CountDownLatch stall = this.stall;
				if (stall != null && !requestLine.isEmpty()) {
					// Held until the stall ends, then dropped: finally closes both sides
					this.held.add(request(requestLine, readHeaders(in, OutputStream.nullOutputStream()), List.of()));
					stall.await();
					return;
				}
				line.writeTo(out);
				if (requestLine.isEmpty()) {
					continue;
				}
				Map<String, List<String>> headers = readHeaders(in, out);
				List<String> trailers = new ArrayList<>();
				Request request = request(requestLine, headers, trailers);
				this.requests.add(request);
				out.flush();
				String transferEncoding = request.header("transfer-encoding");
				if (transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked")) {
					copyChunked(in, out, trailers);
				}
				else {
					String length = request.header("content-length");
					copy(in, out, (length != null) ? Long.parseLong(length.strip()) : 0);
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
			closeQuietly(server);
		}
	}

	private static Request request(String requestLine, Map<String, List<String>> headers, List<String> trailers) {
		String[] parts = requestLine.split(" ");
		return new Request(parts[0], (parts.length > 1) ? parts[1] : "", Collections.unmodifiableMap(headers),
				trailers);
	}

	private static Map<String, List<String>> readHeaders(InputStream in, OutputStream out) throws IOException {
		Map<String, List<String>> headers = new LinkedHashMap<>();
		while (true) {
			String line = readLine(in, out);
			if (line == null) {
				throw new EOFException();
			}
			if (line.isEmpty()) {
				return headers;
			}
			int colon = line.indexOf(':');
			if (colon > 0) {
				headers
					.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
							(k) -> new ArrayList<>())
					.add(line.substring(colon + 1).strip());
			}
		}
	}

	private static void copyChunked(InputStream in, OutputStream out, List<String> trailers) throws IOException {
		while (true) {
			String sizeLine = readLine(in, out);
			if (sizeLine == null) {
				throw new EOFException();
			}
			int semicolon = sizeLine.indexOf(';');
			long size = Long.parseLong(((semicolon >= 0) ? sizeLine.substring(0, semicolon) : sizeLine).strip(), 16);
			if (size == 0) {
				readHeaders(in, out).keySet().forEach(trailers::add);
				return;
			}
			copy(in, out, size);
			readLine(in, out);
		}
	}

	private static void copy(InputStream in, OutputStream out, long length) throws IOException {
		byte[] buffer = new byte[8192];
		long remaining = length;
		while (remaining > 0) {
			int read = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
			if (read < 0) {
				throw new EOFException();
			}
			out.write(buffer, 0, read);
			remaining -= read;
		}
	}

	/**
	 * Reads one CRLF-terminated line, forwarding its bytes.
	 * @return the line without CRLF, or {@code null} at the end of the stream
	 */
	private static @Nullable String readLine(InputStream in, OutputStream out) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		while (true) {
			int b = in.read();
			if (b < 0) {
				return (line.size() == 0) ? null : line.toString(StandardCharsets.ISO_8859_1);
			}
			out.write(b);
			if (b == '\n') {
				String text = line.toString(StandardCharsets.ISO_8859_1);
				return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
			}
			line.write(b);
		}
	}

	private void closeQuietly(Socket socket) {
		this.open.remove(socket);
		try {
			socket.close();
		}
		catch (IOException ex) {
			// Closing anyway
		}
	}

	@Override
	public void close() throws IOException {
		this.closed = true;
		stall(false);
		this.server.close();
		for (Socket socket : this.open) {
			closeQuietly(socket);
		}
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
