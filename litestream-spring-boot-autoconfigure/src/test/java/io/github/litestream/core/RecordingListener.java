package io.github.litestream.core;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener that records what the engine reports, for assertions.
 */
public class RecordingListener implements ReplicationListener {

	public final List<SyncResult> syncs = new CopyOnWriteArrayList<>();

	public final AtomicInteger checkpoints = new AtomicInteger();

	final AtomicInteger provenRestarts = new AtomicInteger();

	/** Each checkpoint as {@code MODE:restarted}. */
	public final List<String> checkpointModes = new CopyOnWriteArrayList<>();

	public final AtomicInteger uploadErrors = new AtomicInteger();

	public final List<UploadResult> uploads = new CopyOnWriteArrayList<>();

	public final List<String> rejectedUploads = new CopyOnWriteArrayList<>();

	@Override
	public void onUploadRejected(String database, String replica, String reason) {
		this.rejectedUploads.add(reason);
	}

	@Override
	public void onSync(String database, SyncResult sync) {
		this.syncs.add(sync);
	}

	@Override
	public void onCheckpoint(String database, String mode, Duration duration, boolean walRestarted) {
		this.checkpoints.incrementAndGet();
		this.checkpointModes.add(mode + ":" + walRestarted);
		if (walRestarted) {
			this.provenRestarts.incrementAndGet();
		}
	}

	@Override
	public void onUpload(String database, String replica, UploadResult upload) {
		this.uploads.add(upload);
	}

	@Override
	public void onUploadError(String database, String replica, Throwable error, int attempt) {
		this.uploadErrors.incrementAndGet();
	}

}
