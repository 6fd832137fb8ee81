package io.github.litestream.storage.s3;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The byte ranges of a ranged download and the parsing of S3's {@code Content-Range}
 * answer, kept apart from the requests so that they are tested on their own.
 */
final class RangedParts {

	private RangedParts() {
	}

	/**
	 * Returns the total length of an object from the {@code Content-Range} of a ranged
	 * answer, {@code bytes <first>-<last>/<total>}.
	 * @param contentRange the header, or {@code null} when the store sent none (it
	 * ignored the range and sent the whole object)
	 * @param bodyLength the length of the body that came with it
	 * @return the total length, or {@code -1} when the header is missing, unparseable,
	 * gives no total ({@code *}) or contradicts the body length
	 */
	static long totalLength(@Nullable String contentRange, long bodyLength) {
		if (contentRange == null) {
			return -1;
		}
		String value = contentRange.strip();
		int slash = value.lastIndexOf('/');
		int dash = value.indexOf('-');
		int space = value.indexOf(' ');
		if (!value.startsWith("bytes ") || slash < 0 || dash < space || dash > slash) {
			return -1;
		}
		try {
			long first = Long.parseLong(value.substring(space + 1, dash).strip());
			long last = Long.parseLong(value.substring(dash + 1, slash).strip());
			long total = Long.parseLong(value.substring(slash + 1).strip());
			// Only the range asked for, from the start, is of use
			if (first != 0 || last - first + 1 != bodyLength || total < bodyLength) {
				return -1;
			}
			return total;
		}
		catch (NumberFormatException ex) {
			return -1;
		}
	}

	/**
	 * Splits the bytes from {@code from} to the end of an object into part-size ranges.
	 * @param from the first byte not yet fetched
	 * @param total the object's length
	 * @param partSize the length of every range but the last
	 * @return the ranges, in order; empty when {@code from} is the end
	 */
	static List<Range> split(long from, long total, long partSize) {
		List<Range> ranges = new ArrayList<>();
		for (long first = from; first < total; first += partSize) {
			ranges.add(new Range(first, Math.min(total, first + partSize) - 1));
		}
		return ranges;
	}

	/**
	 * One byte range, both ends included, as the HTTP {@code Range} header counts.
	 *
	 * @param first the first byte
	 * @param last the last byte
	 */
	record Range(long first, long last) {

		long length() {
			return this.last - this.first + 1;
		}

		@Override
		public String toString() {
			return this.first + "-" + this.last;
		}

	}

}
