package io.github.litestream.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Durability of the engine's local files: the meta directory's LTX files and lineage
 * records and a restore's output.
 */
public final class LocalFiles {

	private LocalFiles() {
	}

	/**
	 * Forces a directory's entries to disk, so that a file created, renamed or deleted in
	 * it survives a power loss.
	 * @param directory the directory
	 * @throws IOException if the directory cannot be opened or forced
	 */
	public static void fsyncDirectory(Path directory) throws IOException {
		try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
			channel.force(true);
		}
	}

}
