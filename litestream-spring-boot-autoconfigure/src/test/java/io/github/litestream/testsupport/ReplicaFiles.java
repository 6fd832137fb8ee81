package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import io.github.litestream.ltx.LtxFormatException;
import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.ltx.PageEncoding;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * Inspects the LTX files of a file replica, or of Litestream's local staging directory
 * (same layout), through the production {@link FileReplicaClient} and LTX codec, so that
 * tests can check what either tool wrote. Methods throw {@link UncheckedIOException} so
 * they fit in Awaitility conditions and AssertJ lambdas.
 */
public final class ReplicaFiles {

	/** A page header is the page number (u32) then the page flags (u16). */
	private static final int PAGE_HEADER_SIZE = 6;

	private ReplicaFiles() {
	}

	/**
	 * Litestream's local staging directory for a database, {@code
	 *
	<dir>
	 * /.<name>-litestream}, as a replica client: it holds the L0 files Litestream has
	 * written but may not have uploaded yet, in {@code ltx/0/}.
	 * @param db the database file
	 * @return a client on the staging directory (nothing is created)
	 */
	public static FileReplicaClient staging(Path db) {
		Path absolute = db.toAbsolutePath();
		return new FileReplicaClient(absolute.resolveSibling("." + absolute.getFileName() + "-litestream"));
	}

	/**
	 * Every LTX file, in level then TXID order.
	 * @param client the replica
	 * @return the files, empty if there are none
	 */
	public static List<LtxFileInfo> list(FileReplicaClient client) {
		try {
			return RestorePlanner.listAll(client);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * The LTX files of one level, in TXID order.
	 * @param client the replica
	 * @param level the level
	 * @return the files, empty if there are none
	 */
	public static List<LtxFileInfo> list(FileReplicaClient client, int level) {
		try {
			return client.listFiles(level);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * The highest TXID any file covers, over all levels.
	 * @param client the replica
	 * @return the TXID, 0 if there is no file
	 */
	public static long maxTxid(FileReplicaClient client) {
		return list(client).stream().mapToLong(LtxFileInfo::maxTxid).max().orElse(0);
	}

	/**
	 * Reads and validates the header of one file.
	 * @param client the replica
	 * @param file a file the client listed
	 * @return the header
	 * @throws UncheckedIOException if the file is gone (for example removed by retention
	 * since it was listed) or is not a valid LTX file
	 */
	public static LtxHeader header(FileReplicaClient client, LtxFileInfo file) {
		return decodeHeader(file, readStart(client, file, LtxHeader.SIZE));
	}

	/**
	 * How the first page of a file is encoded: the page flag that decides which
	 * Litestream versions can read the file (v0.5.15 and older read frames only). The
	 * engine's writers use one encoding for every page of a file, so the first page
	 * stands for all.
	 * @param client the replica
	 * @param file a file the client listed
	 * @return the encoding, or {@code null} if the file holds no page
	 */
	public static @Nullable PageEncoding firstPageEncoding(FileReplicaClient client, LtxFileInfo file) {
		byte[] start = readStart(client, file, LtxHeader.SIZE + PAGE_HEADER_SIZE);
		decodeHeader(file, start);
		if (start.length < LtxHeader.SIZE + PAGE_HEADER_SIZE) {
			throw new IllegalStateException(file + " ends before its first page header");
		}
		// LtxDecoder reads both encodings without reporting which one a page used.
		ByteBuffer pageHeader = ByteBuffer.wrap(start, LtxHeader.SIZE, PAGE_HEADER_SIZE);
		int pgno = pageHeader.getInt();
		int flags = Short.toUnsignedInt(pageHeader.getShort());
		if (pgno == 0) {
			return null;
		}
		return switch (flags) {
			case 0 -> PageEncoding.FRAME;
			case 1 -> PageEncoding.BLOCK;
			default -> throw new IllegalStateException(file + " has unknown page flags " + flags);
		};
	}

	private static LtxHeader decodeHeader(LtxFileInfo file, byte[] bytes) {
		try {
			return LtxHeader.decode(bytes);
		}
		catch (LtxFormatException ex) {
			throw new UncheckedIOException(file + ": " + ex.getMessage(), ex);
		}
	}

	private static byte[] readStart(FileReplicaClient client, LtxFileInfo file, int length) {
		try (InputStream in = client.openFile(file.level(), file.minTxid(), file.maxTxid())) {
			return in.readNBytes(length);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot read " + file + " of " + client.location(), ex);
		}
	}

	/**
	 * The file's modification time at full precision ({@link LtxFileInfo#createdAt()} is
	 * truncated to milliseconds), to check that a writer set it to the header timestamp.
	 * @param client the replica
	 * @param file a file the client listed
	 * @return the mtime
	 */
	public static Instant lastModified(FileReplicaClient client, LtxFileInfo file) {
		try {
			return Files.getLastModifiedTime(client.filePath(file.level(), file.minTxid(), file.maxTxid())).toInstant();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * A listing for assertion messages, one file a line.
	 * @param client the replica
	 * @return the listing
	 */
	public static String describe(FileReplicaClient client) {
		List<LtxFileInfo> files = list(client);
		return files.isEmpty() ? client.location() + ": no LTX files" : client.location() + ":\n"
				+ files.stream().map((file) -> "  " + file).collect(Collectors.joining("\n"));
	}

}
