package io.github.litestream.replica;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import io.github.litestream.ltx.LtxChecksum;
import io.github.litestream.ltx.LtxDecoder;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxTrailer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether the local database continues a replica's history (DESIGN section 4.12).
 * TXID arithmetic alone never proves it: the replica's newest file must be a file this
 * database is known to continue, with the same file checksum, either the head recorded in
 * the meta directory ({@link LineageStore}) or a staged L0 file of the same name.
 */
public final class ReplicaAttachment {

	private ReplicaAttachment() {
	}

	/**
	 * Proves (or not) that the local database continues the replica.
	 * @param client the replica
	 * @param files every file of the replica
	 * @param lineage the recorded heads
	 * @param store the staged local files
	 * @return the outcome
	 */
	static Proof prove(ReplicaClient client, List<LtxFileInfo> files, LineageStore lineage, LocalStore store)
			throws IOException {
		if (files.isEmpty()) {
			return new Proof(Kind.EMPTY, 0, null, "the replica is empty");
		}
		long max = maxTxid(files);
		LineageStore.Head head = lineage.head(client.location());
		if (head != null && head.maxTxid() == max) {
			LtxFileInfo file = find(files, head.level(), head.minTxid(), head.maxTxid());
			if (file != null) {
				long checksum = fileChecksum(client, file);
				if (checksum == head.fileChecksum()) {
					return new Proof(Kind.PROVEN, max, head, "its newest file is " + head);
				}
				return new Proof(Kind.UNPROVEN, max, null, "its newest file " + file.fileName() + " at level "
						+ file.level() + " has checksum " + Long.toHexString(checksum) + ", not the " + head);
			}
			// Compacted away (L0 retention): any file ending there holds the same
			// database
			// state after it, whose checksum the head recorded
			LtxFileInfo compacted = smallestEndingAt(files, max);
			if (compacted != null && head.postApplyChecksum() == 0) {
				// Recorded by an older version: the replica still ends exactly where this
				// database last wrote it, and a file of another writer could not have
				// taken the name of this one's newest file (conditional creates)
				LtxTrailer trailer = trailer(client, compacted);
				LineageStore.Head now = new LineageStore.Head(compacted.level(), compacted.minTxid(),
						compacted.maxTxid(), trailer.fileChecksum(), trailer.postApplyChecksum());
				return new Proof(Kind.PROVEN, max, now, "it still ends at the TXID this database last wrote there, "
						+ "compacted into " + compacted.fileName() + " at level " + compacted.level());
			}
			if (compacted != null && head.postApplyChecksum() != 0) {
				LtxTrailer trailer = trailer(client, compacted);
				if (trailer.postApplyChecksum() == head.postApplyChecksum()) {
					LineageStore.Head now = new LineageStore.Head(compacted.level(), compacted.minTxid(),
							compacted.maxTxid(), trailer.fileChecksum(), trailer.postApplyChecksum());
					return new Proof(Kind.PROVEN, max, now, "its newest file " + compacted.fileName() + " at level "
							+ compacted.level() + " holds the database state this database had at that TXID");
				}
			}
		}
		LtxFileName staged = stagedEndingAt(store, max);
		if (staged != null) {
			LtxFileInfo file = find(files, 0, staged.minTxid(), staged.maxTxid());
			if (file != null) {
				long local = localFileChecksum(store.path(staged.minTxid(), staged.maxTxid()));
				if (fileChecksum(client, file) == local) {
					LineageStore.Head proven = new LineageStore.Head(0, file.minTxid(), file.maxTxid(), local,
							localPostApplyChecksum(store.path(staged.minTxid(), staged.maxTxid())));
					return new Proof(Kind.PROVEN, max, proven, "its newest file equals the staged file " + staged);
				}
			}
		}
		String reason = (head != null)
				? "this database last wrote " + head + " there, but the replica now ends at TXID "
						+ LtxFileName.formatTxid(max)
				: "nothing proves that this database continues its TXID " + LtxFileName.formatTxid(max);
		return new Proof(Kind.UNPROVEN, max, null, reason);
	}

	/**
	 * Returns the highest TXID of a replica's files.
	 * @param files the files
	 * @return the highest max TXID, 0 for none
	 */
	public static long maxTxid(List<LtxFileInfo> files) {
		long max = 0;
		for (LtxFileInfo file : files) {
			if (Long.compareUnsigned(file.maxTxid(), max) > 0) {
				max = file.maxTxid();
			}
		}
		return max;
	}

	/**
	 * The smallest file that ends at {@code txid}: the cheapest to read to prove that the
	 * replica still ends there.
	 */
	public static @Nullable LtxFileInfo smallestEndingAt(List<LtxFileInfo> files, long txid) {
		LtxFileInfo best = null;
		for (LtxFileInfo file : files) {
			if (file.maxTxid() == txid && (best == null || file.size() < best.size())) {
				best = file;
			}
		}
		return best;
	}

	private static @Nullable LtxFileInfo find(List<LtxFileInfo> files, int level, long minTxid, long maxTxid) {
		for (LtxFileInfo file : files) {
			if (file.level() == level && file.minTxid() == minTxid && file.maxTxid() == maxTxid) {
				return file;
			}
		}
		return null;
	}

	private static @Nullable LtxFileName stagedEndingAt(LocalStore store, long txid) throws IOException {
		for (LtxFileName name : store.list()) {
			if (name.maxTxid() == txid) {
				return name;
			}
		}
		return null;
	}

	/**
	 * Reads a replica file to its end and returns the verified file checksum.
	 */
	static long fileChecksum(ReplicaClient client, LtxFileInfo file) throws IOException {
		return trailer(client, file).fileChecksum();
	}

	/**
	 * Reads a replica file through and returns its verified trailer.
	 */
	public static LtxTrailer trailer(ReplicaClient client, LtxFileInfo file) throws IOException {
		try (LtxDecoder decoder = new LtxDecoder(
				new BufferedInputStream(client.openFile(file.level(), file.minTxid(), file.maxTxid()), 64 * 1024),
				client.location() + " level " + file.level() + " " + file.fileName())) {
			return decoder.finish();
		}
	}

	/**
	 * Returns the file checksum of a staged file (the last eight bytes; the file was
	 * verified when it was written).
	 */
	static long localFileChecksum(Path file) throws IOException {
		return trailerLong(file, 8);
	}

	/**
	 * Returns the database checksum after a staged file (the eight bytes before its file
	 * checksum).
	 */
	static long localPostApplyChecksum(Path file) throws IOException {
		return trailerLong(file, 16);
	}

	private static long trailerLong(Path file, int fromEnd) throws IOException {
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
			ByteBuffer buffer = ByteBuffer.allocate(8);
			long position = channel.size() - fromEnd;
			while (buffer.hasRemaining()) {
				if (channel.read(buffer, position + buffer.position()) < 0) {
					throw new IOException("Staged file " + file + " is truncated");
				}
			}
			return buffer.getLong(0);
		}
	}

	/**
	 * The LTX rolling checksum of pages 1 to {@code pageCount} (without the lock page).
	 */
	public static long databaseChecksum(PageSource pages, int pageSize, int pageCount) throws IOException {
		int lockPage = LtxChecksum.lockPage(pageSize);
		byte[] page = new byte[pageSize];
		long checksum = LtxChecksum.FLAG;
		for (int pgno = 1; pgno <= pageCount; pgno++) {
			if (pgno == lockPage) {
				continue;
			}
			pages.read(pgno, page);
			checksum = LtxChecksum.fold(checksum, LtxChecksum.pageChecksum(pgno, page, 0, pageSize));
		}
		return checksum;
	}

	/**
	 * The rolling checksum of a database file that no SQLite connection of this process
	 * has open (a restored file, or the database before the application starts).
	 * @return the baseline of the file
	 */
	public static LineageStore.Baseline baselineOf(Path database, long txid) throws IOException {
		try (FileChannel channel = FileChannel.open(database, StandardOpenOption.READ)) {
			ByteBuffer header = ByteBuffer.allocate(100);
			while (header.hasRemaining() && channel.read(header, header.position()) >= 0) {
				// read the header
			}
			int pageSize = Short.toUnsignedInt(header.getShort(16));
			if (pageSize == 1) {
				pageSize = 65536;
			}
			if (pageSize < 512) {
				throw new IOException("Database " + database + " has no valid SQLite header");
			}
			int pageCount = (int) (channel.size() / pageSize);
			int size = pageSize;
			long checksum = databaseChecksum((pgno, dst) -> {
				ByteBuffer buffer = ByteBuffer.wrap(dst, 0, size);
				long position = (long) (pgno - 1) * size;
				while (buffer.hasRemaining()) {
					if (channel.read(buffer, position + buffer.position()) < 0) {
						throw new IOException("Database " + database + " ended early");
					}
				}
			}, pageSize, pageCount);
			return new LineageStore.Baseline(txid, pageSize, pageCount, checksum);
		}
	}

	/**
	 * Reads pages by number.
	 */
	@FunctionalInterface
	public interface PageSource {

		void read(int pgno, byte[] dst) throws IOException;

	}

	enum Kind {

		/** The replica holds nothing. */
		EMPTY,

		/** The replica's newest file is one this database continues. */
		PROVEN,

		/** Nothing proves that this database continues the replica. */
		UNPROVEN

	}

	/**
	 * The outcome of {@link #prove}.
	 *
	 * @param kind what was proven
	 * @param maxTxid the replica's newest TXID
	 * @param head the replica's newest file when proven
	 * @param reason why, for logs
	 */
	record Proof(Kind kind, long maxTxid, LineageStore.@Nullable Head head, String reason) {
	}

}
