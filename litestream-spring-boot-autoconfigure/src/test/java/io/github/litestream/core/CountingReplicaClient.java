package io.github.litestream.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import io.github.litestream.testsupport.ForwardingReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * A real replica client wrapped to count the operations the engine makes on it, and to
 * inject a number of failing writes.
 */
public final class CountingReplicaClient extends ForwardingReplicaClient {

	final AtomicInteger lists = new AtomicInteger();

	final AtomicInteger opens = new AtomicInteger();

	public final AtomicInteger writes = new AtomicInteger();

	public final AtomicInteger deletes = new AtomicInteger();

	/** Reads of the lease object, not in total(). */
	public final AtomicInteger leaseReads = new AtomicInteger();

	/** Writes of the lease object (acquisitions, renewals, releases), not in total(). */
	public final AtomicInteger leaseWrites = new AtomicInteger();

	/**
	 * Number of upcoming writes that fail with a retryable error before reaching storage.
	 */
	public final AtomicInteger failingWrites = new AtomicInteger();

	public CountingReplicaClient(ReplicaClient delegate) {
		super(delegate);
	}

	public int total() {
		return this.lists.get() + this.opens.get() + this.writes.get() + this.deletes.get();
	}

	@Override
	public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
		this.lists.incrementAndGet();
		return super.listFiles(level, minTxidAtLeast);
	}

	@Override
	public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
		this.opens.incrementAndGet();
		return super.openFile(level, minTxid, maxTxid);
	}

	@Override
	public void download(int level, long minTxid, long maxTxid, Path target) throws IOException {
		this.opens.incrementAndGet();
		super.download(level, minTxid, maxTxid, target);
	}

	@Override
	public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		countWrite(minTxid, maxTxid);
		return super.writeFile(level, minTxid, maxTxid, timestamp, data);
	}

	@Override
	public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		countWrite(minTxid, maxTxid);
		return super.createFile(level, minTxid, maxTxid, timestamp, data);
	}

	private void countWrite(long minTxid, long maxTxid) throws ReplicaException {
		this.writes.incrementAndGet();
		if (this.failingWrites.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
			throw new ReplicaException("Injected failure writing " + minTxid + "-" + maxTxid, true, null);
		}
	}

	@Override
	public @Nullable LeaseObject readLease() throws IOException {
		this.leaseReads.incrementAndGet();
		return super.readLease();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		this.leaseWrites.incrementAndGet();
		return super.createLease(content);
	}

	@Override
	public String replaceLease(byte[] content, String expectedVersion) throws IOException {
		this.leaseWrites.incrementAndGet();
		return super.replaceLease(content, expectedVersion);
	}

	@Override
	public void deleteFiles(Collection<LtxFileInfo> files) throws IOException {
		this.deletes.incrementAndGet();
		super.deleteFiles(files);
	}

	@Override
	public void deleteAll() throws IOException {
		this.deletes.incrementAndGet();
		super.deleteAll();
	}

}
