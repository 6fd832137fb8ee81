package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ReplicaClient} that forwards every call, conditional writes and the lease
 * included, to a real client. Tests that inject faults or count requests override the
 * calls they need, so the rest keeps the real client's semantics.
 */
public class ForwardingReplicaClient implements ReplicaClient {

	private final ReplicaClient delegate;

	public ForwardingReplicaClient(ReplicaClient delegate) {
		this.delegate = delegate;
	}

	protected ReplicaClient delegate() {
		return this.delegate;
	}

	@Override
	public String type() {
		return this.delegate.type();
	}

	@Override
	public String location() {
		return this.delegate.location();
	}

	@Override
	public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
		return this.delegate.listFiles(level, minTxidAtLeast);
	}

	@Override
	public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
		return this.delegate.openFile(level, minTxid, maxTxid);
	}

	@Override
	public boolean isLocal() {
		return this.delegate.isLocal();
	}

	@Override
	public void download(int level, long minTxid, long maxTxid, Path target) throws IOException {
		this.delegate.download(level, minTxid, maxTxid, target);
	}

	@Override
	public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		return this.delegate.writeFile(level, minTxid, maxTxid, timestamp, data);
	}

	@Override
	public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		return this.delegate.createFile(level, minTxid, maxTxid, timestamp, data);
	}

	@Override
	public void deleteFiles(Collection<LtxFileInfo> files) throws IOException {
		this.delegate.deleteFiles(files);
	}

	@Override
	public void deleteAll() throws IOException {
		this.delegate.deleteAll();
	}

	@Override
	public String leaseLocation() {
		return this.delegate.leaseLocation();
	}

	@Override
	public @Nullable LeaseObject readLease() throws IOException {
		return this.delegate.readLease();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		return this.delegate.createLease(content);
	}

	@Override
	public String replaceLease(byte[] content, String expectedVersion) throws IOException {
		return this.delegate.replaceLease(content, expectedVersion);
	}

	@Override
	public void close() throws IOException {
		this.delegate.close();
	}

}
