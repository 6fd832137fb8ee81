package io.github.litestream.ltx;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The name of an LTX file: {@code %016x-%016x.ltx} of its minimum and maximum TXID, in
 * lower-case hex, as Litestream names them.
 *
 * @param minTxid the first transaction ID the file covers
 * @param maxTxid the last transaction ID the file covers
 */
public record LtxFileName(long minTxid, long maxTxid) {

	private static final Pattern PATTERN = Pattern.compile("^([0-9a-f]{16})-([0-9a-f]{16})\\.ltx$");

	/**
	 * Formats the file name of a TXID range.
	 * @param minTxid the first transaction ID
	 * @param maxTxid the last transaction ID
	 * @return the file name, for example {@code 0000000000000001-00000000000000ff.ltx}
	 */
	public static String format(long minTxid, long maxTxid) {
		return formatTxid(minTxid) + "-" + formatTxid(maxTxid) + ".ltx";
	}

	/**
	 * Formats a TXID as 16 lower-case hex digits, the form used in names and JSON.
	 * @param txid the transaction ID
	 * @return the hex form
	 */
	public static String formatTxid(long txid) {
		return String.format("%016x", txid);
	}

	/**
	 * Parses a file name.
	 * @param name a file name without directory
	 * @return the parsed name, or {@code null} when the name is not an LTX file name
	 */
	public static @Nullable LtxFileName parse(String name) {
		Matcher matcher = PATTERN.matcher(name);
		if (!matcher.matches()) {
			return null;
		}
		return new LtxFileName(Long.parseUnsignedLong(matcher.group(1), 16),
				Long.parseUnsignedLong(matcher.group(2), 16));
	}

	@Override
	public String toString() {
		return format(this.minTxid, this.maxTxid);
	}

}
