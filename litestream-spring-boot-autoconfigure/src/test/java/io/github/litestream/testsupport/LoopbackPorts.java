package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free loopback ports for the servers and child JVMs a test starts. A port found free may
 * be taken by another process before it is bound again; the tests that use it bind it
 * right away, on a machine where nothing else picks loopback ports at random.
 */
public final class LoopbackPorts {

	private LoopbackPorts() {
	}

	/**
	 * Returns a loopback port that was free a moment ago.
	 * @return the port
	 */
	public static int free() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
