package io.github.litestream.s3e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a loopback port between an S3 client and the S3 server, which can delay
 * traffic, answer HTTP 500/503 or reset connections, to inject faults without mocks.
 * Switching the mode also closes the open connections, so pooled keep-alive connections
 * cannot bypass the new mode.
 */
final class FaultProxy implements AutoCloseable {

	/**
	 * What the proxy does with new connections.
	 */
	enum Mode {

		/** Forward everything. */
		PASS,

		/** Forward everything, each chunk from the client after a delay. */
		DELAY,

		/** Answer every connection with HTTP 500 and close it. */
		HTTP_500,

		/** Answer every connection with HTTP 503 and close it. */
		HTTP_503,

		/** Reset every connection as soon as it is accepted. */
		RESET

	}

	private final ServerSocket server;

	private final InetSocketAddress upstream;

	private final Set<Socket> open = ConcurrentHashMap.newKeySet();

	private final AtomicLong bytesFromClients = new AtomicLong();

	private final AtomicLong connections = new AtomicLong();

	private volatile Mode mode = Mode.PASS;

	private volatile Duration delay = Duration.ofMillis(200);

	private volatile boolean closed;

	private FaultProxy(ServerSocket server, InetSocketAddress upstream) {
		this.server = server;
		this.upstream = upstream;
	}

	static FaultProxy start(URI upstream) throws IOException {
		ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		FaultProxy proxy = new FaultProxy(server, new InetSocketAddress(upstream.getHost(), upstream.getPort()));
		Thread acceptor = new Thread(proxy::acceptLoop, "fault-proxy-accept");
		acceptor.setDaemon(true);
		acceptor.start();
		return proxy;
	}

	URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
	}

	void mode(Mode mode) {
		this.mode = mode;
		// Kept-alive connections were set up under the old mode: drop them
		for (Socket socket : this.open) {
			closeQuietly(socket);
		}
	}

	void delay(Duration delay) {
		this.delay = delay;
	}

	/**
	 * Bytes received from clients so far: zero during a window means no request.
	 */
	long bytesFromClients() {
		return this.bytesFromClients.get();
	}

	long connections() {
		return this.connections.get();
	}

	private void acceptLoop() {
		while (!this.closed) {
			Socket client;
			try {
				client = this.server.accept();
			}
			catch (IOException ex) {
				return;
			}
			this.connections.incrementAndGet();
			Thread handler = new Thread(() -> handle(client), "fault-proxy-connection");
			handler.setDaemon(true);
			handler.start();
		}
	}

	private void handle(Socket client) {
		this.open.add(client);
		try {
			Mode mode = this.mode;
			switch (mode) {
				case RESET -> {
					// SO_LINGER 0 makes close() send RST instead of FIN
					client.setSoLinger(true, 0);
					client.close();
				}
				case HTTP_500, HTTP_503 ->
					answer(client, (mode == Mode.HTTP_500) ? "500 Internal Server Error" : "503 Service Unavailable");
				default -> forward(client);
			}
		}
		catch (IOException ex) {
			// The client or the mode switch closed the connection
		}
		finally {
			this.open.remove(client);
			closeQuietly(client);
		}
	}

	private void answer(Socket client, String status) throws IOException {
		// Read the request head so that the client sees an answer, not a broken pipe
		InputStream in = client.getInputStream();
		int matched = 0;
		byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
		int b;
		while (matched < end.length && (b = in.read()) >= 0) {
			this.bytesFromClients.incrementAndGet();
			matched = (b == end[matched]) ? matched + 1 : ((b == end[0]) ? 1 : 0);
		}
		String body = "<Error><Code>InternalError</Code><Message>injected</Message></Error>";
		String response = "HTTP/1.1 " + status + "\r\nContent-Type: application/xml\r\nContent-Length: " + body.length()
				+ "\r\nConnection: close\r\n\r\n" + body;
		client.getOutputStream().write(response.getBytes(StandardCharsets.US_ASCII));
		client.getOutputStream().flush();
		client.shutdownOutput();
	}

	private void forward(Socket client) throws IOException {
		try (Socket upstream = new Socket()) {
			upstream.connect(this.upstream, 5000);
			this.open.add(upstream);
			try {
				Thread back = new Thread(() -> pump(upstream, client, false), "fault-proxy-back");
				back.setDaemon(true);
				back.start();
				pump(client, upstream, true);
				try {
					back.join(Duration.ofMinutes(1).toMillis());
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			finally {
				this.open.remove(upstream);
			}
		}
	}

	private void pump(Socket from, Socket to, boolean fromClient) {
		byte[] buffer = new byte[64 * 1024];
		try {
			InputStream in = from.getInputStream();
			OutputStream out = to.getOutputStream();
			int n;
			while ((n = in.read(buffer)) >= 0) {
				if (fromClient) {
					this.bytesFromClients.addAndGet(n);
					if (this.mode == Mode.DELAY) {
						// Slows each chunk down, as a congested link would
						Thread.sleep(this.delay.toMillis());
					}
				}
				out.write(buffer, 0, n);
				out.flush();
			}
			to.shutdownOutput();
		}
		catch (IOException ex) {
			closeQuietly(from);
			closeQuietly(to);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void closeQuietly(Socket socket) {
		try {
			socket.close();
		}
		catch (IOException ex) {
			// Already gone
		}
	}

	@Override
	public void close() throws IOException {
		this.closed = true;
		this.server.close();
		for (Socket socket : this.open) {
			closeQuietly(socket);
		}
	}

}
