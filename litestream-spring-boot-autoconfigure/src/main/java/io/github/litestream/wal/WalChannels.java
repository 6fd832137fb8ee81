package io.github.litestream.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional reads that never move the channel's own position, so one channel can be
 * shared by several readers.
 */
final class WalChannels {

	private WalChannels() {
	}

	/**
	 * Fills {@code buf} from its position to its limit, reading from {@code position}
	 * onwards, until it is full or the file ends.
	 * @return whether the buffer was filled completely
	 */
	static boolean readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
		long at = position;
		while (buf.hasRemaining()) {
			int n = channel.read(buf, at);
			if (n < 0) {
				return false;
			}
			at += n;
		}
		return true;
	}

}
