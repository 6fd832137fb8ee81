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
 * calls they need, so the rest keeps the real client's semantics; a fault that applies to
 * whole kinds of requests (an unreachable or a hanging replica) overrides
 * {@link #beforeRequest(Call)} instead.
 */
public class ForwardingReplicaClient implements ReplicaClient {

	private final ReplicaClient delegate;

	public ForwardingReplicaClient(ReplicaClient delegate) {
		this.delegate = delegate;
	}

	protected ReplicaClient delegate() {
		return this.delegate;
	}

	/**
	 * The requests that reach the replica, for {@link #beforeRequest(Call)}.
	 */
	protected enum Call {

		/** {@link #listFiles}. */
		LIST,
		/** {@link #openFile}. */
		OPEN,
		/** {@link #download}. */
		DOWNLOAD,
		/** {@link #writeFile}. */
		WRITE,
		/** {@link #createFile}. */
		CREATE,
		/** {@link #deleteFiles}. */
		DELETE,
		/** {@link #deleteAll}. */
		DELETE_ALL,
		/** {@link #readLease}. */
		READ_LEASE,
		/** {@link #createLease}. */
		CREATE_LEASE,
		/** {@link #replaceLease}. */
		REPLACE_LEASE

	}

	/**
	 * Runs before each request is forwarded, on the calling thread: a fault injector
	 * throws or blocks here. Does nothing by default.
	 * @param call the request
	 * @throws IOException to fail the request before it reaches the replica
	 */
	protected void beforeRequest(Call call) throws IOException {
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
		beforeRequest(Call.LIST);
		return this.delegate.listFiles(level, minTxidAtLeast);
	}

	@Override
	public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
		beforeRequest(Call.OPEN);
		return this.delegate.openFile(level, minTxid, maxTxid);
	}

	@Override
	public boolean isLocal() {
		return this.delegate.isLocal();
	}

	@Override
	public void download(int level, long minTxid, long maxTxid, Path target) throws IOException {
		beforeRequest(Call.DOWNLOAD);
		this.delegate.download(level, minTxid, maxTxid, target);
	}

	@Override
	public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		beforeRequest(Call.WRITE);
		return this.delegate.writeFile(level, minTxid, maxTxid, timestamp, data);
	}

	@Override
	public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		beforeRequest(Call.CREATE);
		return this.delegate.createFile(level, minTxid, maxTxid, timestamp, data);
	}

	@Override
	public void deleteFiles(Collection<LtxFileInfo> files) throws IOException {
		beforeRequest(Call.DELETE);
		this.delegate.deleteFiles(files);
	}

	@Override
	public void deleteAll() throws IOException {
		beforeRequest(Call.DELETE_ALL);
		this.delegate.deleteAll();
	}

	@Override
	public String leaseLocation() {
		return this.delegate.leaseLocation();
	}

	@Override
	public @Nullable LeaseObject readLease() throws IOException {
		beforeRequest(Call.READ_LEASE);
		return this.delegate.readLease();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		beforeRequest(Call.CREATE_LEASE);
		return this.delegate.createLease(content);
	}

	@Override
	public String replaceLease(byte[] content, String expectedVersion) throws IOException {
		beforeRequest(Call.REPLACE_LEASE);
		return this.delegate.replaceLease(content, expectedVersion);
	}

	@Override
	public void close() throws IOException {
		this.delegate.close();
	}

}
