package io.github.litestream.s3e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.github.litestream.testsupport.LoopbackProxy;

/**
 * A TCP proxy on a loopback port between an S3 client and the S3 server, which can delay
 * traffic, answer HTTP 500/503 or reset connections, to inject faults without mocks.
 * Switching the mode also closes the open connections, so pooled keep-alive connections
 * cannot bypass the new mode. The proxy itself is {@link LoopbackProxy}'s.
 */
final class FaultProxy extends LoopbackProxy {

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

	private final AtomicLong bytesFromClients = new AtomicLong();

	private final AtomicLong connections = new AtomicLong();

	private volatile Mode mode = Mode.PASS;

	private volatile Duration delay = Duration.ofMillis(200);

	private FaultProxy(URI upstream) throws IOException {
		super("fault-proxy", upstream);
	}

	static FaultProxy start(URI upstream) throws IOException {
		FaultProxy proxy = new FaultProxy(upstream);
		proxy.startAccepting();
		return proxy;
	}

	void mode(Mode mode) {
		this.mode = mode;
		// Kept-alive connections were set up under the old mode: drop them
		closeOpen();
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

	@Override
	protected void handle(Socket client) {
		this.connections.incrementAndGet();
		try {
			Mode mode = this.mode;
			switch (mode) {
				case RESET -> reset(client);
				case HTTP_500, HTTP_503 ->
					answer(client, (mode == Mode.HTTP_500) ? "500 Internal Server Error" : "503 Service Unavailable");
				default -> forward(client);
			}
		}
		catch (IOException ex) {
			// The client or the mode switch closed the connection
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
		Socket upstream = connectUpstream();
		try {
			Thread back = new Thread(() -> pump(upstream, client, ChunkHook.NONE, false), "fault-proxy-back");
			back.setDaemon(true);
			back.start();
			pump(client, upstream, this::fromClient, false);
			try {
				back.join(Duration.ofMinutes(1).toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		finally {
			release(upstream);
		}
	}

	/**
	 * Counts a chunk from a client and, in {@link Mode#DELAY}, slows it down as a
	 * congested link would.
	 */
	private boolean fromClient(int length) throws InterruptedException {
		this.bytesFromClients.addAndGet(length);
		if (this.mode == Mode.DELAY) {
			Thread.sleep(this.delay.toMillis());
		}
		return true;
	}

}
