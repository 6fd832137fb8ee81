package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * What the tests' proxies share: a TCP server on a loopback port in front of an upstream
 * server (S3), a daemon thread per accepted connection, and the sockets it opened, which
 * close with it. Each proxy decides what happens to a connection ({@link #handle}):
 * forward it, answer it, hold it, drop it or reset it; faults are injected without mocks,
 * on the bytes a real client sends to a real server.
 * <p>
 * A subclass's factory calls {@link #startAccepting()} once the subclass is constructed,
 * so that no connection is handled by a half-built proxy.
 */
public abstract class LoopbackProxy implements AutoCloseable {

	/** How long a connection to the upstream server may take. */
	private static final int CONNECT_TIMEOUT_MILLIS = 5000;

	private final String name;

	private final ServerSocket server;

	private final InetSocketAddress upstream;

	private final Set<Socket> open = ConcurrentHashMap.newKeySet();

	private volatile boolean closed;

	/**
	 * Binds a loopback port; nothing is accepted before {@link #startAccepting()}.
	 * @param name the proxy's name, for its threads and messages
	 * @param upstream the server's endpoint ({@code http://host:port})
	 * @throws IOException if no loopback port can be bound
	 */
	protected LoopbackProxy(String name, URI upstream) throws IOException {
		this.name = name;
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
	}

	/**
	 * What a pump does with each chunk it read before forwarding it.
	 */
	@FunctionalInterface
	protected interface ChunkHook {

		/** Forwards every chunk as it is. */
		ChunkHook NONE = (length) -> true;

		/**
		 * Sees a chunk (counts it, delays it).
		 * @param length its length in bytes
		 * @return whether to forward it ({@code false}: it is dropped)
		 * @throws InterruptedException if the pump is interrupted while delaying it
		 */
		boolean chunk(int length) throws InterruptedException;

	}

	/**
	 * Starts the thread that accepts connections, each handled on a thread of its own.
	 */
	protected final void startAccepting() {
		daemon(this.name + "-accept", this::acceptLoop);
	}

	/**
	 * Returns the endpoint clients use instead of the server's.
	 * @return {@code http://127.0.0.1:<port>}
	 */
	public URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
	}

	/**
	 * Returns the proxy's name.
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Whether {@link #close()} was called.
	 * @return whether the proxy is closed
	 */
	protected boolean isClosed() {
		return this.closed;
	}

	/**
	 * Handles one accepted connection, on a thread of its own. The connection is tracked
	 * (closed with the proxy) and closed once this returns.
	 * @param client the connection from the client
	 */
	protected abstract void handle(Socket client);

	/**
	 * Opens a connection to the upstream server, tracked until it is closed.
	 * @return the connection
	 * @throws IOException if the server cannot be reached
	 */
	protected Socket connectUpstream() throws IOException {
		Socket socket = new Socket();
		this.open.add(socket);
		try {
			socket.connect(this.upstream, CONNECT_TIMEOUT_MILLIS);
			return socket;
		}
		catch (IOException ex) {
			closeQuietly(socket);
			throw ex;
		}
	}

	/**
	 * Closes a connection this proxy opened and forgets it.
	 * @param socket the connection, or {@code null}
	 */
	protected void release(@Nullable Socket socket) {
		if (socket != null) {
			closeQuietly(socket);
			this.open.remove(socket);
		}
	}

	/**
	 * Closes every connection open now (both sides), as a switch of faults must: a
	 * kept-alive connection set up before it would bypass it.
	 */
	protected void closeOpen() {
		for (Socket socket : this.open) {
			closeQuietly(socket);
		}
	}

	/**
	 * Copies bytes from one side to the other until the end of the stream or a failure,
	 * passing each chunk through a hook. At the end of the stream the other side's output
	 * is shut down (a half close: the answer may still come back) or, with
	 * {@code closeAtEnd}, both sides are closed; on a failure both are.
	 * @param from the side read
	 * @param to the side written
	 * @param hook sees each chunk before it is forwarded
	 * @param closeAtEnd whether to close both sides at the end of the stream
	 */
	protected void pump(Socket from, Socket to, ChunkHook hook, boolean closeAtEnd) {
		byte[] buffer = new byte[64 * 1024];
		try {
			InputStream in = from.getInputStream();
			OutputStream out = to.getOutputStream();
			int n;
			while ((n = in.read(buffer)) >= 0) {
				if (hook.chunk(n)) {
					out.write(buffer, 0, n);
					out.flush();
				}
			}
			if (closeAtEnd) {
				closeQuietly(from);
				closeQuietly(to);
			}
			else {
				to.shutdownOutput();
			}
		}
		catch (IOException ex) {
			closeQuietly(from);
			closeQuietly(to);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Closes a connection with a TCP reset instead of a FIN.
	 * @param socket the connection, or {@code null}
	 */
	public static void reset(@Nullable Socket socket) {
		if (socket == null) {
			return;
		}
		try {
			// SO_LINGER 0 makes close() send RST instead of FIN
			socket.setSoLinger(true, 0);
		}
		catch (IOException ex) {
			// Closed already
		}
		closeQuietly(socket);
	}

	/**
	 * Closes a connection, ignoring that it may be closed already.
	 * @param socket the connection, or {@code null}
	 */
	public static void closeQuietly(@Nullable Socket socket) {
		if (socket == null) {
			return;
		}
		try {
			socket.close();
		}
		catch (IOException ex) {
			// Already gone
		}
	}

	/**
	 * Starts a daemon thread.
	 * @param name the thread's name
	 * @param task what it runs
	 */
	protected static void daemon(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		thread.start();
	}

	private void acceptLoop() {
		while (!this.closed) {
			Socket client;
			try {
				client = this.server.accept();
			}
			catch (IOException ex) {
				if (!this.closed && !this.server.isClosed()) {
					continue;
				}
				return;
			}
			this.open.add(client);
			daemon(this.name + "-connection", () -> {
				try {
					handle(client);
				}
				finally {
					closeQuietly(client);
					this.open.remove(client);
				}
			});
		}
	}

	/**
	 * Stops accepting and closes every connection. Subclasses that hold requests release
	 * them first.
	 */
	@Override
	public void close() {
		this.closed = true;
		try {
			this.server.close();
		}
		catch (IOException ex) {
			// Already closed
		}
		closeOpen();
	}

	@Override
	public String toString() {
		return "proxy " + this.name + " " + endpoint();
	}

}
