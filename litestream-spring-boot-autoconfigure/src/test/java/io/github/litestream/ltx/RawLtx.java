package io.github.litestream.ltx;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Builds LTX files byte by byte, with a correct file checksum, so that a test can break
 * exactly one rule and see that rule (not the checksum) reported.
 */
final class RawLtx {

	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	private final List<long[]> index = new ArrayList<>();

	private long crc;

	RawLtx(LtxHeader header) {
		hashed(header.encode());
	}

	RawLtx(byte[] headerBytes) {
		hashed(headerBytes);
	}

	/**
	 * A block-encoded page with the given LZ4 block; {@code page} is what gets hashed.
	 */
	RawLtx blockPage(int pgno, byte[] page, byte[] block) {
		long offset = this.out.size();
		byte[] head = new byte[10];
		Bytes.putIntBE(head, 0, pgno);
		Bytes.putShortBE(head, 4, 1);
		Bytes.putIntBE(head, 6, block.length);
		hashed(head);
		this.crc = Crc64.update(this.crc, page, 0, page.length);
		this.out.writeBytes(block);
		this.index.add(new long[] { pgno, offset, this.out.size() - offset });
		return this;
	}

	RawLtx blockPage(int pgno, byte[] page) {
		return blockPage(pgno, page, compress(page));
	}

	/**
	 * A frame-encoded page with the given LZ4 frame; {@code page} is what gets hashed.
	 */
	RawLtx framePage(int pgno, byte[] page, byte[] frame) {
		long offset = this.out.size();
		byte[] head = new byte[6];
		Bytes.putIntBE(head, 0, pgno);
		hashed(head);
		this.crc = Crc64.update(this.crc, page, 0, page.length);
		this.out.writeBytes(frame);
		this.index.add(new long[] { pgno, offset, this.out.size() - offset });
		return this;
	}

	RawLtx framePage(int pgno, byte[] page) {
		return framePage(pgno, page, frame(0x64, 0x40, null, page, List.of(compressedBlock(page)), true));
	}

	/** Hashed bytes that are not a page, such as a bad page header. */
	RawLtx raw(byte[] bytes) {
		hashed(bytes);
		return this;
	}

	/** The end marker, the index of the pages added, and the trailer. */
	byte[] finish(long postApply) {
		ByteArrayOutputStream idx = new ByteArrayOutputStream();
		for (long[] entry : this.index) {
			idx.writeBytes(uvarint(entry[0]));
			idx.writeBytes(uvarint(entry[1]));
			idx.writeBytes(uvarint(entry[2]));
		}
		idx.write(0);
		return finish(new byte[6], idx.toByteArray(), idx.size(), postApply);
	}

	/**
	 * Ends the file with the given end marker, index bytes (with terminator) and length.
	 */
	byte[] finish(byte[] endMarker, byte[] indexBytes, long indexLength, long postApply) {
		hashed(endMarker);
		hashed(indexBytes);
		byte[] tail = new byte[8];
		Bytes.putLongBE(tail, 0, indexLength);
		hashed(tail);
		Bytes.putLongBE(tail, 0, postApply);
		hashed(tail);
		Bytes.putLongBE(tail, 0, LtxChecksum.FLAG | this.crc);
		this.out.writeBytes(tail);
		return this.out.toByteArray();
	}

	private void hashed(byte[] bytes) {
		this.crc = Crc64.update(this.crc, bytes, 0, bytes.length);
		this.out.writeBytes(bytes);
	}

	static byte[] uvarint(long value) {
		byte[] b = new byte[10];
		return java.util.Arrays.copyOf(b, PageIndex.putUvarint(b, 0, value));
	}

	static byte[] compress(byte[] data) {
		return LZ4Factory.safeInstance().fastCompressor().compress(data);
	}

	static int xxh32(byte[] data, int off, int len) {
		return XXHashFactory.safeInstance().hash32().hash(data, off, len, 0);
	}

	/** A compressed frame block: size (little-endian) and data. */
	static byte[] compressedBlock(byte[] data) {
		byte[] block = compress(data);
		byte[] result = new byte[4 + block.length];
		Bytes.putIntLE(result, 0, block.length);
		System.arraycopy(block, 0, result, 4, block.length);
		return result;
	}

	/** A stored (uncompressed) frame block of part of the data. */
	static byte[] storedBlock(byte[] data, int off, int len) {
		byte[] result = new byte[4 + len];
		Bytes.putIntLE(result, 0, len | 0x80000000);
		System.arraycopy(data, off, result, 4, len);
		return result;
	}

	/**
	 * An LZ4 frame. {@code contentSize} is written when not null (set FLG bit 3 too);
	 * {@code blocks} are complete blocks (size, data and any block checksum).
	 */
	static byte[] frame(int flg, int bd, Long contentSize, byte[] content, List<byte[]> blocks,
			boolean contentChecksum) {
		ByteArrayOutputStream frame = new ByteArrayOutputStream();
		byte[] descriptor = new byte[(contentSize != null) ? 10 : 2];
		descriptor[0] = (byte) flg;
		descriptor[1] = (byte) bd;
		if (contentSize != null) {
			Bytes.putIntLE(descriptor, 2, (int) (long) contentSize);
			Bytes.putIntLE(descriptor, 6, (int) (contentSize >>> 32));
		}
		byte[] magic = new byte[4];
		Bytes.putIntLE(magic, 0, 0x184D2204);
		frame.writeBytes(magic);
		frame.writeBytes(descriptor);
		frame.write((xxh32(descriptor, 0, descriptor.length) >>> 8) & 0xFF);
		blocks.forEach(frame::writeBytes);
		frame.writeBytes(new byte[4]);
		if (contentChecksum) {
			byte[] checksum = new byte[4];
			Bytes.putIntLE(checksum, 0, xxh32(content, 0, content.length));
			frame.writeBytes(checksum);
		}
		return frame.toByteArray();
	}

}
