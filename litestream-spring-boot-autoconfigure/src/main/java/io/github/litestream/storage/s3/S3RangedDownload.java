package io.github.litestream.storage.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Reads LTX files: {@code GetObject} as a stream, and downloads to a file that ask for
 * the first part-size byte range, so that a file no larger than one part costs one
 * request, then fetch the remaining ranges of a larger file on up to
 * {@code downloadParallelism} connections at once, each written at its offset with one
 * copy buffer per connection. The ranges carry the ETag of the first answer
 * ({@code If-Match}), so an object replaced meanwhile fails the download instead of
 * mixing two versions.
 */
final class S3RangedDownload {

	private static final AtomicInteger DOWNLOAD_THREADS = new AtomicInteger();

	private static final int COPY_BUFFER_SIZE = 64 * 1024;

	private final S3Requests requests;

	private final S3Client s3;

	private final String bucket;

	private final String endpoint;

	private final S3Encryption encryption;

	private final int partSize;

	private final int downloadParallelism;

	S3RangedDownload(S3Requests requests, int partSize, int downloadParallelism) {
		this.requests = requests;
		this.s3 = requests.s3();
		this.bucket = requests.bucket();
		this.endpoint = requests.endpoint();
		this.encryption = requests.encryption();
		this.partSize = partSize;
		this.downloadParallelism = downloadParallelism;
	}

	/**
	 * Opens one object as a stream, which aborts the connection when closed before its
	 * end.
	 * @param action what the caller does, for messages
	 */
	InputStream openFile(String key, String action) throws IOException {
		GetObjectRequest request = this.encryption.onRead(GetObjectRequest.builder().bucket(this.bucket).key(key))
			.build();
		ResponseInputStream<GetObjectResponse> stream;
		try {
			stream = this.requests.execute(S3Operation.GET, "GetObject", () -> this.s3.getObject(request),
					(response) -> S3Requests.orZero(response.response().contentLength()));
		}
		catch (SdkException ex) {
			throw readFailure(action, key, ex);
		}
		return new ObjectInputStream(stream, this.requests.objectUri(key));
	}

	/**
	 * Classifies a failed {@code GetObject}: a missing object is the
	 * {@link NoSuchFileException} of the contract, anything else a replica failure.
	 */
	private IOException readFailure(String action, String key, SdkException ex) {
		String code = S3Failures.errorCode(ex);
		if (S3Failures.statusCode(ex) == 404 && (code == null || code.equals("NoSuchKey"))) {
			NoSuchFileException missing = new NoSuchFileException(this.requests.objectUri(key));
			missing.initCause(ex);
			return missing;
		}
		return this.requests.failure(action + " '" + this.requests.objectUri(key) + "'", ex);
	}

	/**
	 * Downloads one object into {@code channel}, as
	 * {@link S3ReplicaClient#download(int, long, long, java.nio.file.Path)} describes.
	 */
	void downloadInto(String key, FileChannel channel) throws IOException {
		String uri = this.requests.objectUri(key);
		// A range rather than HEAD then GET: one request learns the size and brings the
		// first part, which for most files is the whole file
		ResponseInputStream<GetObjectResponse> first;
		try {
			first = getRange(key, 0, this.partSize - 1L, null);
		}
		catch (SdkException ex) {
			if (S3Failures.statusCode(ex) == 416) {
				// S3 refuses any range of an empty object: fetch it whole
				copyWhole(key, channel);
				return;
			}
			throw readFailure("download LTX file", key, ex);
		}
		GetObjectResponse response = first.response();
		long firstLength = S3Requests.orZero(response.contentLength());
		long total = RangedParts.totalLength(response.contentRange(), firstLength);
		if (total < 0) {
			// A store that ignored the range or gave no usable Content-Range: the body is
			// what it sent, read to its end
			total = firstLength;
		}
		if (total <= firstLength) {
			long copied = copy(first, uri, channel, 0);
			checkLength(uri, copied, firstLength, "the object");
			checkLength(uri, channel.size(), total, "the downloaded file");
			return;
		}
		downloadParts(key, response.eTag(), first, firstLength, total, channel);
		checkLength(uri, channel.size(), total, "the downloaded file");
	}

	private void copyWhole(String key, FileChannel channel) throws IOException {
		try (InputStream in = openFile(key, "download LTX file")) {
			copy(in, channel, 0);
		}
	}

	/**
	 * Fetches the parts after the first concurrently while the calling thread copies the
	 * first, whose body is already arriving.
	 */
	private void downloadParts(String key, @Nullable String eTag, ResponseInputStream<GetObjectResponse> first,
			long firstLength, long total, FileChannel channel) throws IOException {
		String uri = this.requests.objectUri(key);
		List<RangedParts.Range> rest = RangedParts.split(firstLength, total, this.partSize);
		if (this.downloadParallelism <= 1) {
			checkLength(uri, copy(first, uri, channel, 0), firstLength, "part 1");
			for (RangedParts.Range range : rest) {
				fetchRange(key, eTag, range, channel);
			}
			return;
		}
		// Closing it before its end aborts the connection: after a failure the rest of
		// the first part is of no use
		ObjectInputStream firstIn = new ObjectInputStream(first, uri);
		// A pool per download: it lives exactly as long as the download, so no thread
		// outlives it whatever happens (restores run few downloads at a time, each long
		// compared with starting a thread)
		int threads = Math.min(this.downloadParallelism - 1, rest.size());
		PartThreads pool = new PartThreads(threads, "litestream-s3-download-", DOWNLOAD_THREADS);
		// Completion order, so that the first failing part ends the download at once
		CompletionService<@Nullable Void> parts = new ExecutorCompletionService<>(pool.executor());
		try {
			for (RangedParts.Range range : rest) {
				parts.submit(() -> {
					fetchRange(key, eTag, range, channel);
					return null;
				});
			}
			checkLength(uri, copy(firstIn, channel, 0), firstLength, "part 1");
			for (int done = 0; done < rest.size(); done++) {
				// Each request is bounded by the S3Client's timeouts, so no deadline here
				parts.take().get();
			}
		}
		catch (ExecutionException ex) {
			throw PartThreads.failureOf(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while downloading '" + uri + "'");
		}
		finally {
			firstIn.close();
			// After a failure the other parts are of no use; either way every thread has
			// ended when this method returns
			pool.shutdownNow();
			pool.awaitTermination(uri);
		}
	}

	private void fetchRange(String key, @Nullable String eTag, RangedParts.Range range, FileChannel channel)
			throws IOException {
		String uri = this.requests.objectUri(key);
		ResponseInputStream<GetObjectResponse> stream;
		try {
			stream = getRange(key, range.first(), range.last(), eTag);
		}
		catch (SdkException ex) {
			if (S3Failures.statusCode(ex) == 412) {
				throw new ReplicaException("Cannot download LTX file '" + uri + "' (bucket '" + this.bucket
						+ "', endpoint " + this.endpoint + "): it was replaced during the download. "
						+ "The operation can be retried.", true, ex);
			}
			throw readFailure("download LTX file", key, ex);
		}
		try (InputStream in = new ObjectInputStream(stream, uri)) {
			checkLength(uri, copy(in, channel, range.first()), range.length(), "bytes " + range);
		}
	}

	private ResponseInputStream<GetObjectResponse> getRange(String key, long first, long last, @Nullable String eTag)
			throws InterruptedIOException {
		GetObjectRequest.Builder builder = this.encryption
			.onRead(GetObjectRequest.builder().bucket(this.bucket).key(key).range("bytes=" + first + "-" + last));
		if (eTag != null) {
			builder.ifMatch(eTag);
		}
		GetObjectRequest request = builder.build();
		return this.requests.execute(S3Operation.GET, "GetObject", () -> this.s3.getObject(request),
				(response) -> S3Requests.orZero(response.response().contentLength()));
	}

	private long copy(ResponseInputStream<GetObjectResponse> body, String uri, FileChannel channel, long position)
			throws IOException {
		ObjectInputStream in = new ObjectInputStream(body, uri);
		try {
			return copy(in, channel, position);
		}
		finally {
			in.close();
		}
	}

	/**
	 * Copies a stream into the channel from {@code position} with one buffer, by
	 * positional writes, which threads writing other ranges of the same channel do not
	 * disturb.
	 */
	private static long copy(InputStream in, FileChannel channel, long position) throws IOException {
		byte[] buffer = new byte[COPY_BUFFER_SIZE];
		long copied = 0;
		int read;
		while ((read = in.read(buffer)) >= 0) {
			ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, read);
			while (bytes.hasRemaining()) {
				copied += channel.write(bytes, position + copied);
			}
		}
		return copied;
	}

	private void checkLength(String uri, long actual, long expected, String what) throws ReplicaException {
		if (actual != expected) {
			throw new ReplicaException("Cannot download LTX file '" + uri + "' (bucket '" + this.bucket + "', endpoint "
					+ this.endpoint + "): " + what + " had " + actual + " bytes where S3 announced " + expected
					+ ". This may be temporary; the operation can be retried.", true, null);
		}
	}

	/**
	 * The body of a {@code GetObject}: aborts the connection when closed before the end,
	 * rather than reading (and paying for) the rest of a large object, and reports SDK
	 * failures while reading as {@link IOException}s.
	 */
	private static final class ObjectInputStream extends FilterInputStream {

		private final ResponseInputStream<GetObjectResponse> response;

		private final String uri;

		private boolean ended;

		ObjectInputStream(ResponseInputStream<GetObjectResponse> response, String uri) {
			super(response);
			this.response = response;
			this.uri = uri;
		}

		@Override
		public int read() throws IOException {
			try {
				int read = super.read();
				this.ended |= read < 0;
				return read;
			}
			catch (SdkException ex) {
				throw readFailure(ex);
			}
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			try {
				int read = super.read(buffer, offset, length);
				this.ended |= read < 0;
				return read;
			}
			catch (SdkException ex) {
				throw readFailure(ex);
			}
		}

		private IOException readFailure(SdkException ex) {
			// For example a checksum mismatch at the end of the body: reading again may
			// succeed
			return new ReplicaException("Cannot read LTX file '" + this.uri + "': " + ex.getMessage()
					+ ". This may be temporary; the operation can be retried.", true, ex);
		}

		@Override
		public void close() throws IOException {
			if (!this.ended) {
				this.response.abort();
			}
			super.close();
		}

	}

}
