package io.github.litestream.ltx;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges several LTX files into the content of one, streaming, with the semantics of the
 * reference compactor (LTX-SPEC section 8): pages come out in ascending page order; when
 * several inputs hold a page, the newest input wins; pages beyond the newest input's
 * {@code commit} are dropped, which is how a shrinking database loses its tail.
 * <p>
 * Memory: one page buffer per input plus what each {@link LtxDecoder} keeps. Pages are
 * chosen with a binary heap, so a merge of {@code k} inputs costs {@code O(log k)} per
 * page.
 * <p>
 * Like a decoder, a merger proves nothing until {@link #finish()} has returned: only then
 * has every input's file checksum been verified. The merger owns its inputs from the
 * moment it is created: {@link #close()} closes them all, and so does a constructor that
 * throws.
 */
public final class LtxMerger implements Closeable {

	private static final Logger logger = LoggerFactory.getLogger(LtxMerger.class);

	private final LtxDecoder[] inputs;

	private final LtxHeader header;

	private final long commit;

	private final int pageSize;

	private final byte[][] pages;

	/** The page number each input currently holds in {@link #pages}. */
	private final long[] current;

	/**
	 * Indexes of the inputs that still have pages, as a min-heap on (page number
	 * ascending, input index descending): the root is the next page and, among inputs
	 * holding that page, the newest one.
	 */
	private final int[] heap;

	private int heapSize;

	private boolean started;

	private boolean done;

	private @Nullable LtxTrailer lastTrailer;

	/**
	 * Creates a merger whose output has {@link LtxHeader#FLAG_NO_CHECKSUM}, as every
	 * Litestream compaction and restore does.
	 * @param inputs decoders of the files to merge, oldest first; at least one
	 * @throws LtxFormatException if the page sizes differ or two consecutive inputs are
	 * not contiguous (the message names both files)
	 */
	public LtxMerger(List<LtxDecoder> inputs) throws IOException {
		this(inputs, LtxHeader.FLAG_NO_CHECKSUM);
	}

	/**
	 * Creates a merger with the given output header flags. Without
	 * {@link LtxHeader#FLAG_NO_CHECKSUM} the output keeps the rolling checksums, as the
	 * reference compactor does: the first input's pre-apply checksum and the last input's
	 * post-apply checksum ({@link #postApplyChecksum()}).
	 * @param inputs decoders of the files to merge, oldest first; at least one
	 * @param headerFlags {@link LtxHeader#FLAG_NO_CHECKSUM} or {@code 0}
	 * @throws LtxFormatException if the page sizes differ, two consecutive inputs are not
	 * contiguous, or the merged header is invalid
	 */
	public LtxMerger(List<LtxDecoder> inputs, int headerFlags) throws IOException {
		this.inputs = inputs.toArray(new LtxDecoder[0]);
		try {
			if (this.inputs.length == 0) {
				throw new IllegalArgumentException("at least one LTX file is required to merge");
			}
			checkInputs(this.inputs);
			this.header = mergedHeader(this.inputs, headerFlags);
		}
		catch (IOException | RuntimeException ex) {
			closeAll(ex);
			throw ex;
		}
		this.commit = Integer.toUnsignedLong(this.header.commit());
		this.pageSize = this.header.pageSize();
		this.pages = new byte[this.inputs.length][];
		this.current = new long[this.inputs.length];
		this.heap = new int[this.inputs.length];
	}

	private static void checkInputs(LtxDecoder[] inputs) throws LtxFormatException {
		for (int i = 1; i < inputs.length; i++) {
			LtxDecoder previous = Objects.requireNonNull(inputs[i - 1], "inputs");
			LtxDecoder next = Objects.requireNonNull(inputs[i], "inputs");
			LtxHeader p = previous.header();
			LtxHeader n = next.header();
			if (p.pageSize() != n.pageSize()) {
				throw new LtxFormatException("cannot merge " + previous.sourceName() + " (page size " + p.pageSize()
						+ ") with " + next.sourceName() + " (page size " + n.pageSize() + "): page sizes differ");
			}
			if (!isContiguous(p.maxTxid(), n.minTxid(), n.maxTxid())) {
				throw new LtxFormatException("cannot merge " + previous.sourceName() + " (TXIDs " + range(p) + ") with "
						+ next.sourceName() + " (TXIDs " + range(n) + "): the second must start no later than "
						+ LtxFileName.formatTxid(p.maxTxid() + 1) + " and end after "
						+ LtxFileName.formatTxid(p.maxTxid()));
			}
		}
	}

	private static String range(LtxHeader header) {
		return LtxFileName.formatTxid(header.minTxid()) + ".." + LtxFileName.formatTxid(header.maxTxid());
	}

	/**
	 * Returns whether a file covering {@code [minTxid, maxTxid]} can follow one that ends
	 * at {@code previousMaxTxid}: no gap, and it must add something. Overlap is allowed.
	 * @param previousMaxTxid the last TXID of the previous file
	 * @param minTxid the first TXID of the next file
	 * @param maxTxid the last TXID of the next file
	 * @return whether the files are contiguous
	 */
	public static boolean isContiguous(long previousMaxTxid, long minTxid, long maxTxid) {
		return Long.compareUnsigned(minTxid, previousMaxTxid + 1) <= 0
				&& Long.compareUnsigned(maxTxid, previousMaxTxid) > 0;
	}

	private static LtxHeader mergedHeader(LtxDecoder[] inputs, int flags) throws LtxFormatException {
		LtxHeader first = inputs[0].header();
		LtxHeader last = inputs[inputs.length - 1].header();
		long preApply = ((flags & LtxHeader.FLAG_NO_CHECKSUM) != 0) ? 0 : first.preApplyChecksum();
		LtxHeader merged = new LtxHeader(flags, first.pageSize(), last.commit(), first.minTxid(), last.maxTxid(),
				last.timestamp(), preApply, 0, 0, 0, 0, 0);
		try {
			merged.validate();
		}
		catch (LtxFormatException ex) {
			throw new LtxFormatException("cannot merge " + inputs[0].sourceName() + " .. "
					+ inputs[inputs.length - 1].sourceName() + ": merged header is invalid: " + ex.getMessage(), ex);
		}
		return merged;
	}

	/**
	 * Returns the header of the merged file: flags as requested, page size of the inputs,
	 * commit and timestamp of the last input, minimum TXID of the first, maximum TXID of
	 * the last, no WAL fields and no node ID.
	 * @return the merged header
	 */
	public LtxHeader header() {
		return this.header;
	}

	/**
	 * Returns the next page of the merged file.
	 * @param dst receives the page in its first {@code pageSize} bytes
	 * @return the page number, or {@code 0} when there are no more pages
	 * @throws LtxFormatException if an input is malformed (the message names it)
	 * @throws IOException if an input stream fails
	 */
	public int nextPage(byte[] dst) throws IOException {
		if (dst.length < this.pageSize) {
			throw new IllegalArgumentException(
					"page buffer of " + dst.length + " bytes is smaller than the page size " + this.pageSize);
		}
		if (!this.started) {
			start();
		}
		if (this.done || this.heapSize == 0) {
			this.done = true;
			return 0;
		}
		int winner = this.heap[0];
		long pgno = this.current[winner];
		if (pgno > this.commit) {
			// Inputs are sorted, so every remaining page lies beyond the commit too;
			// finish()
			// reads and verifies them.
			this.done = true;
			return 0;
		}
		System.arraycopy(this.pages[winner], 0, dst, 0, this.pageSize);
		while (this.heapSize > 0 && this.current[this.heap[0]] == pgno) {
			advanceRoot();
		}
		return (int) pgno;
	}

	private void start() throws IOException {
		this.started = true;
		for (int i = 0; i < this.inputs.length; i++) {
			this.pages[i] = new byte[this.pageSize];
			long pgno = Integer.toUnsignedLong(this.inputs[i].readPage(this.pages[i]));
			if (pgno != 0) {
				this.current[i] = pgno;
				this.heap[this.heapSize] = i;
				siftUp(this.heapSize++);
			}
		}
	}

	private void advanceRoot() throws IOException {
		int i = this.heap[0];
		long pgno = Integer.toUnsignedLong(this.inputs[i].readPage(this.pages[i]));
		if (pgno == 0) {
			this.heap[0] = this.heap[--this.heapSize];
		}
		else {
			this.current[i] = pgno;
		}
		if (this.heapSize > 0) {
			siftDown(0);
		}
	}

	private boolean before(int a, int b) {
		long pa = this.current[a];
		long pb = this.current[b];
		return (pa != pb) ? pa < pb : a > b;
	}

	private void siftUp(int index) {
		int k = index;
		int item = this.heap[k];
		while (k > 0) {
			int parent = (k - 1) >>> 1;
			if (!before(item, this.heap[parent])) {
				break;
			}
			this.heap[k] = this.heap[parent];
			k = parent;
		}
		this.heap[k] = item;
	}

	private void siftDown(int index) {
		int k = index;
		int item = this.heap[k];
		while (true) {
			int child = 2 * k + 1;
			if (child >= this.heapSize) {
				break;
			}
			if (child + 1 < this.heapSize && before(this.heap[child + 1], this.heap[child])) {
				child++;
			}
			if (!before(this.heap[child], item)) {
				break;
			}
			this.heap[k] = this.heap[child];
			k = child;
		}
		this.heap[k] = item;
	}

	/**
	 * Reads every input to its end and verifies it (file checksum, page index, trailer).
	 * Call it after the last page and before making the merged result durable or visible.
	 * @throws LtxFormatException if an input is corrupt (the message names it)
	 * @throws IOException if an input stream fails
	 */
	public void finish() throws IOException {
		LtxTrailer trailer = null;
		for (LtxDecoder input : this.inputs) {
			trailer = input.finish();
		}
		this.done = true;
		this.lastTrailer = trailer;
	}

	/**
	 * Returns the post-apply checksum the merged file must carry: {@code 0} with
	 * {@link LtxHeader#FLAG_NO_CHECKSUM}, otherwise the last input's.
	 * @return the post-apply checksum
	 * @throws IllegalStateException if {@link #finish()} has not returned yet
	 */
	public long postApplyChecksum() {
		LtxTrailer trailer = this.lastTrailer;
		if (trailer == null) {
			throw new IllegalStateException("the inputs are not verified yet: call finish() first");
		}
		return this.header.isNoChecksum() ? 0 : trailer.postApplyChecksum();
	}

	/**
	 * Closes every input. A failure to close one is logged, not thrown: the inputs are
	 * only read, so nothing is lost.
	 */
	@Override
	public void close() {
		closeAll(null);
	}

	private void closeAll(@Nullable Throwable primary) {
		for (LtxDecoder input : this.inputs) {
			if (input == null) {
				continue;
			}
			try {
				input.close();
			}
			catch (IOException ex) {
				if (primary != null) {
					primary.addSuppressed(ex);
				}
				else {
					logger.warn("Cannot close LTX input {}: {}", input.sourceName(), ex.toString());
				}
			}
		}
	}

}
