package io.github.litestream.replica;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.LeaseNotHeldException;
import io.github.litestream.ownership.ReplicaLease;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;

/**
 * Every LTX upload of the engine (L0 files, seeding snapshots, compactions, snapshots): a
 * conditional create that never overwrites a file (DESIGN 4.14). A file of the same name
 * with the same bytes, such as an earlier attempt whose answer was lost, counts as
 * written; one with other bytes is another writer's history and ends in
 * {@link ForeignFileException}.
 */
public final class ConditionalUpload {

	private static final int BUFFER_SIZE = 64 * 1024;

	private ConditionalUpload() {
	}

	/**
	 * Creates one replica file from a local file.
	 * @param lease the lease, checked right before the write
	 * @return the file on the replica
	 * @throws ForeignFileException if a different file of that name exists
	 * @throws LeaseNotHeldException if the engine may not write the replica now
	 * @throws IOException if the upload fails
	 */
	public static LtxFileInfo create(ReplicaClient client, ReplicaLease lease, int level, long minTxid, long maxTxid,
			Instant timestamp, Path local) throws IOException {
		return create(client, lease, level, minTxid, maxTxid, timestamp, local, false);
	}

	/**
	 * Creates one replica file from a local file.
	 * @param lease the lease, checked right before the write
	 * @param once whether the client makes a single attempt
	 * ({@link ReplicaClient#createFileOnce}), for a caller that retries on its own
	 * @return the file on the replica
	 * @throws ForeignFileException if a different file of that name exists
	 * @throws LeaseNotHeldException if the engine may not write the replica now
	 * @throws IOException if the upload fails
	 */
	public static LtxFileInfo create(ReplicaClient client, ReplicaLease lease, int level, long minTxid, long maxTxid,
			Instant timestamp, Path local, boolean once) throws IOException {
		String name = "level " + level + " " + LtxFileName.format(minTxid, maxTxid);
		lease.checkWrite(name);
		try (InputStream in = new BufferedInputStream(Files.newInputStream(local), BUFFER_SIZE)) {
			return once ? client.createFileOnce(level, minTxid, maxTxid, timestamp, in)
					: client.createFile(level, minTxid, maxTxid, timestamp, in);
		}
		catch (FileAlreadyExistsException ex) {
			if (sameBytes(client, level, minTxid, maxTxid, local)) {
				return new LtxFileInfo(level, minTxid, maxTxid, Files.size(local),
						timestamp.truncatedTo(ChronoUnit.MILLIS));
			}
			throw new ForeignFileException("'" + ex.getMessage() + "' exists with other content than this engine's "
					+ name + ": another process writes this replica");
		}
	}

	private static boolean sameBytes(ReplicaClient client, int level, long minTxid, long maxTxid, Path local)
			throws IOException {
		try (InputStream remote = client.openFile(level, minTxid, maxTxid);
				InputStream mine = Files.newInputStream(local)) {
			byte[] a = new byte[BUFFER_SIZE];
			byte[] b = new byte[BUFFER_SIZE];
			while (true) {
				int read = mine.readNBytes(a, 0, a.length);
				int other = remote.readNBytes(b, 0, read == 0 ? 1 : read);
				if (read == 0) {
					return other == 0;
				}
				if (other != read || !Arrays.equals(a, 0, read, b, 0, read)) {
					return false;
				}
			}
		}
	}

}
