package io.github.litestream.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.github.litestream.testsupport.LoopbackProxy;
import org.jspecify.annotations.Nullable;

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
 * byte streams lost data) and forwards new connections again. The proxy itself is
 * {@link LoopbackProxy}'s.
 */
final class NemesisProxy extends LoopbackProxy {

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

	private final Set<Link> links = ConcurrentHashMap.newKeySet();

	private volatile Mode mode = Mode.PASS;

	private NemesisProxy(String name, URI upstream) throws IOException {
		super("nemesis-proxy-" + name, upstream);
	}

	static NemesisProxy start(String name, URI upstream) {
		try {
			NemesisProxy proxy = new NemesisProxy(name, upstream);
			proxy.startAccepting();
			return proxy;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
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

	@Override
	protected void handle(Socket client) {
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
				link.upstream = connectUpstream();
			}
			Socket upstream = link.upstream;
			if (link.dropped && upstream == null) {
				// Swallow the request until the partition heals (the link is then reset).
				drain(client);
				return;
			}
			Thread back = new Thread(() -> pump(upstream, client, link::forwards, false), name() + "-back");
			back.setDaemon(true);
			back.start();
			pump(client, upstream, link::forwards, false);
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
			release(link.upstream);
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

	@Override
	public String toString() {
		return super.toString() + " (" + this.mode + ")";
	}

	/**
	 * One client connection and its upstream connection.
	 */
	private static final class Link {

		private final Socket client;

		private volatile @Nullable Socket upstream;

		private volatile boolean dropped;

		Link(Socket client) {
			this.client = client;
		}

		/**
		 * Whether bytes go through: not during a dropping partition.
		 */
		boolean forwards(int length) {
			return !this.dropped;
		}

		/**
		 * Closes both sides with a TCP reset.
		 */
		void reset() {
			LoopbackProxy.reset(this.client);
			LoopbackProxy.reset(this.upstream);
		}

		void close() {
			closeQuietly(this.client);
			closeQuietly(this.upstream);
		}

	}

}
