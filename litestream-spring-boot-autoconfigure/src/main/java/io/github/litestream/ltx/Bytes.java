package io.github.litestream.ltx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Fixed-width integer access to byte arrays: big-endian for LTX fields, little-endian for
 * the insides of LZ4 frames.
 */
final class Bytes {

	private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

	private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

	private static final VarHandle SHORT_BE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

	private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

	private Bytes() {
	}

	static int getIntBE(byte[] b, int off) {
		return (int) INT_BE.get(b, off);
	}

	static void putIntBE(byte[] b, int off, int v) {
		INT_BE.set(b, off, v);
	}

	static long getLongBE(byte[] b, int off) {
		return (long) LONG_BE.get(b, off);
	}

	static void putLongBE(byte[] b, int off, long v) {
		LONG_BE.set(b, off, v);
	}

	static int getShortBE(byte[] b, int off) {
		return ((short) SHORT_BE.get(b, off)) & 0xFFFF;
	}

	static void putShortBE(byte[] b, int off, int v) {
		SHORT_BE.set(b, off, (short) v);
	}

	static int getIntLE(byte[] b, int off) {
		return (int) INT_LE.get(b, off);
	}

	static void putIntLE(byte[] b, int off, int v) {
		INT_LE.set(b, off, v);
	}

	static String hex(long v) {
		return String.format("0x%016x", v);
	}

}
