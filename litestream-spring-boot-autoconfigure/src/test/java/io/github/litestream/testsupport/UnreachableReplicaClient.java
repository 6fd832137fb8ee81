package io.github.litestream.testsupport;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;

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

	@Override
	protected void beforeRequest(Call call) throws IOException {
		if (this.unreachable.get()) {
			throw new ReplicaException("Injected: replica unreachable", true, null);
		}
	}

}
