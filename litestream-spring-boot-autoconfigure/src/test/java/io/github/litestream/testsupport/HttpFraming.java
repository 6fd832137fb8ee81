package io.github.litestream.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The HTTP/1.1 framing the tests' proxies follow to find where one request ends and the
 * next begins on a kept-alive connection: request heads, header lines, and bodies sized
 * by {@code Content-Length} or by chunked framing (with trailers). Every method forwards
 * the bytes it reads to an output (a null output to discard them), so a proxy can look at
 * a request while passing it on unchanged.
 */
public final class HttpFraming {

	private static final byte[] HEAD_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

	private HttpFraming() {
	}

	/**
	 * Reads a request head, up to and including the empty line that ends it.
	 * @param in the connection's input
	 * @param maxLength the longest head accepted
	 * @return the head's bytes, or {@code null} at the end of the stream
	 * @throws IOException if it cannot be read or is longer than {@code maxLength}
	 */
	public static byte @Nullable [] readHead(InputStream in, int maxLength) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream(1024);
		int matched = 0;
		while (matched < HEAD_END.length) {
			int b = in.read();
			if (b < 0) {
				return null;
			}
			head.write(b);
			matched = (b == HEAD_END[matched]) ? matched + 1 : ((b == HEAD_END[0]) ? 1 : 0);
			if (head.size() > maxLength) {
				throw new IOException("Request head too long");
			}
		}
		return head.toByteArray();
	}

	/**
	 * Reads one line terminated by LF (or CRLF), forwarding its bytes.
	 * @param in the input
	 * @param out where its bytes go
	 * @return the line without its terminator, or {@code null} at the end of the stream
	 * @throws IOException if it cannot be read or forwarded
	 */
	public static @Nullable String readLine(InputStream in, OutputStream out) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		while (true) {
			int b = in.read();
			if (b < 0) {
				return (line.size() == 0) ? null : line.toString(StandardCharsets.ISO_8859_1);
			}
			out.write(b);
			if (b == '\n') {
				String text = line.toString(StandardCharsets.ISO_8859_1);
				return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
			}
			line.write(b);
		}
	}

	/**
	 * Reads header lines up to the empty line that ends them, forwarding their bytes.
	 * @param in the input
	 * @param out where their bytes go
	 * @return the headers, names in lower case, in the order they came
	 * @throws IOException if they cannot be read or the stream ends first
	 */
	public static Map<String, List<String>> readHeaders(InputStream in, OutputStream out) throws IOException {
		Map<String, List<String>> headers = new LinkedHashMap<>();
		while (true) {
			String line = readLine(in, out);
			if (line == null) {
				throw new EOFException();
			}
			if (line.isEmpty()) {
				return headers;
			}
			int colon = line.indexOf(':');
			if (colon > 0) {
				headers
					.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
							(k) -> new ArrayList<>())
					.add(line.substring(colon + 1).strip());
			}
		}
	}

	/**
	 * Forwards a chunked body, its last chunk and its trailers.
	 * @param in the input
	 * @param out where the body goes
	 * @param trailers receives the names of the trailers, in lower case
	 * @throws IOException if the body cannot be read or the stream ends inside it
	 */
	public static void copyChunked(InputStream in, OutputStream out, List<String> trailers) throws IOException {
		while (true) {
			String sizeLine = readLine(in, out);
			if (sizeLine == null) {
				throw new EOFException();
			}
			int semicolon = sizeLine.indexOf(';');
			long size = Long.parseLong(((semicolon >= 0) ? sizeLine.substring(0, semicolon) : sizeLine).strip(), 16);
			if (size == 0) {
				readHeaders(in, out).keySet().forEach(trailers::add);
				return;
			}
			copy(in, out, size);
			readLine(in, out);
		}
	}

	/**
	 * Forwards exactly {@code length} bytes.
	 * @param in the input
	 * @param out where they go
	 * @param length how many
	 * @throws IOException if they cannot be read or the stream ends first
	 */
	public static void copy(InputStream in, OutputStream out, long length) throws IOException {
		byte[] buffer = new byte[64 * 1024];
		long remaining = length;
		while (remaining > 0) {
			int read = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
			if (read < 0) {
				throw new EOFException();
			}
			out.write(buffer, 0, read);
			remaining -= read;
		}
	}

}
