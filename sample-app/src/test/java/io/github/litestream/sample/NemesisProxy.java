package io.github.litestream.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a loopback port between one instance of the sample application and the
 * S3 server, which can cut the instance off from S3 (a partition) and heal it again, for
 * {@link SampleNemesisTests}. Each instance has its own proxy, so one instance can be
 * partitioned alone.
 * <p>
 * A {@link Mode#DROP} partition behaves like a network that loses every packet: open and
 * new connections stay open but nothing is forwarded in either direction (the client
 * waits until its own timeouts fire). A {@link Mode#RESET} partition behaves like a host
 * that refuses connections: open connections are reset and new ones are reset as soon as
 * they are accepted. Healing resets the connections that lived through a partition (their
 * byte streams lost data) and forwards new connections again.
 */
final class NemesisProxy implements AutoCloseable {

	/**
	 * What the proxy does with traffic.
	 */
	enum Mode {

		/** Forward everything. */
		PASS,

		/** Forward nothing, answer nothing (a black hole). */
		DROP,

		/** Reset every connection. */
		RESET

	}

	private final String name;

	private final ServerSocket server;

	private final InetSocketAddress upstream;

	private final Set<Link> links = ConcurrentHashMap.newKeySet();

	private volatile Mode mode = Mode.PASS;

	private volatile boolean closed;

	private NemesisProxy(String name, ServerSocket server, InetSocketAddress upstream) {
		this.name = name;
		this.server = server;
		this.upstream = upstream;
	}

	static NemesisProxy start(String name, URI upstream) {
		try {
			ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
			NemesisProxy proxy = new NemesisProxy(name, server,
					new InetSocketAddress(upstream.getHost(), upstream.getPort()));
			Thread acceptor = new Thread(proxy::acceptLoop, "nemesis-proxy-" + name);
			acceptor.setDaemon(true);
			acceptor.start();
			return proxy;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
	}

	Mode mode() {
		return this.mode;
	}

	/**
	 * Cuts the instance off from S3.
	 * @param partition {@link Mode#DROP} or {@link Mode#RESET}
	 */
	void partition(Mode partition) {
		if (partition == Mode.PASS) {
			throw new IllegalArgumentException("Not a partition: " + partition);
		}
		this.mode = partition;
		for (Link link : this.links) {
			if (partition == Mode.RESET) {
				link.reset();
			}
			else {
				link.dropped = true;
			}
		}
	}

	/**
	 * Forwards new connections again and resets those that lived through the partition.
	 */
	void heal() {
		this.mode = Mode.PASS;
		for (Link link : this.links) {
			if (link.dropped) {
				link.reset();
			}
		}
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
			Thread handler = new Thread(() -> handle(client), "nemesis-proxy-" + this.name + "-link");
			handler.setDaemon(true);
			handler.start();
		}
	}

	private void handle(Socket client) {
		Link link = new Link(client);
		this.links.add(link);
		try {
			Mode now = this.mode;
			if (now == Mode.RESET) {
				link.reset();
				return;
			}
			if (now == Mode.DROP) {
				link.dropped = true;
			}
			else {
				Socket upstream = new Socket();
				link.upstream = upstream;
				upstream.connect(this.upstream, 5000);
			}
			if (link.dropped && link.upstream == null) {
				// Swallow the request until the partition heals (the link is then reset).
				drain(client);
				return;
			}
			Socket upstream = link.upstream;
			Thread back = new Thread(() -> pump(link, upstream, client), "nemesis-proxy-" + this.name + "-back");
			back.setDaemon(true);
			back.start();
			pump(link, client, upstream);
			back.join();
		}
		catch (IOException ex) {
			// The instance, S3 or a reset closed the link
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		finally {
			link.close();
			this.links.remove(link);
		}
	}

	private static void drain(Socket socket) throws IOException {
		InputStream in = socket.getInputStream();
		byte[] buffer = new byte[16 * 1024];
		while (in.read(buffer) >= 0) {
			// dropped
		}
	}

	private static void pump(Link link, Socket from, Socket to) {
		byte[] buffer = new byte[64 * 1024];
		try {
			InputStream in = from.getInputStream();
			OutputStream out = to.getOutputStream();
			int n;
			while ((n = in.read(buffer)) >= 0) {
				if (!link.dropped) {
					out.write(buffer, 0, n);
					out.flush();
				}
			}
			to.shutdownOutput();
		}
		catch (IOException ex) {
			link.close();
		}
	}

	@Override
	public void close() {
		this.closed = true;
		try {
			this.server.close();
		}
		catch (IOException ex) {
			// Already closed
		}
		for (Link link : this.links) {
			link.close();
		}
	}

	@Override
	public String toString() {
		return "proxy " + this.name + " " + endpoint() + " (" + this.mode + ")";
	}

	/**
	 * One client connection and its upstream connection.
	 */
	private static final class Link {

		private final Socket client;

		private volatile Socket upstream;

		private volatile boolean dropped;

		Link(Socket client) {
			this.client = client;
		}

		/**
		 * Closes both sides with a TCP reset.
		 */
		void reset() {
			for (Socket socket : new Socket[] { this.client, this.upstream }) {
				if (socket != null) {
					try {
						// SO_LINGER 0 makes close() send RST instead of FIN
						socket.setSoLinger(true, 0);
					}
					catch (IOException ex) {
						// Closed already
					}
				}
			}
			close();
		}

		void close() {
			for (Socket socket : new Socket[] { this.client, this.upstream }) {
				if (socket != null) {
					try {
						socket.close();
					}
					catch (IOException ex) {
						// Closed already
					}
				}
			}
		}

	}

}
