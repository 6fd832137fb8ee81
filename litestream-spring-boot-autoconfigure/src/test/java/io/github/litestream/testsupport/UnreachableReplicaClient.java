package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;

/**
 * A real replica that one instance can be cut off from: while {@link #unreachable()} is
 * set, every request (files and lease) fails with a retryable {@link ReplicaException}
 * before it reaches the store, as a network partition or a paused process sees it.
 */
public final class UnreachableReplicaClient extends ForwardingReplicaClient {

	private final AtomicBoolean unreachable;

	public UnreachableReplicaClient(ReplicaClient delegate) {
		this(delegate, new AtomicBoolean());
	}

	public UnreachableReplicaClient(ReplicaClient delegate, AtomicBoolean unreachable) {
		super(delegate);
		this.unreachable = unreachable;
	}

	/**
	 * Returns the switch: set, the replica cannot be reached.
	 * @return the switch
	 */
	public AtomicBoolean unreachable() {
		return this.unreachable;
	}

	private void check() throws ReplicaException {
		if (this.unreachable.get()) {
			throw new ReplicaException("Injected: replica unreachable", true, null);
		}
	}

	@Override
	public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
		check();
		return super.listFiles(level, minTxidAtLeast);
	}

	@Override
	public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
		check();
		return super.openFile(level, minTxid, maxTxid);
	}

	@Override
	public void download(int level, long minTxid, long maxTxid, Path target) throws IOException {
		check();
		super.download(level, minTxid, maxTxid, target);
	}

	@Override
	public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		check();
		return super.writeFile(level, minTxid, maxTxid, timestamp, data);
	}

	@Override
	public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		check();
		return super.createFile(level, minTxid, maxTxid, timestamp, data);
	}

	@Override
	public void deleteFiles(Collection<LtxFileInfo> files) throws IOException {
		check();
		super.deleteFiles(files);
	}

	@Override
	public void deleteAll() throws IOException {
		check();
		super.deleteAll();
	}

	@Override
	public @Nullable LeaseObject readLease() throws IOException {
		check();
		return super.readLease();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		check();
		return super.createLease(content);
	}

	@Override
	public String replaceLease(byte[] content, String expectedVersion) throws IOException {
		check();
		return super.replaceLease(content, expectedVersion);
	}

}
