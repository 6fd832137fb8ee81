package io.github.litestream.wal;

import java.util.Arrays;

/**
 * An open-addressing map from page number to frame offset. A WAL can hold well over 100k
 * frames; boxed maps would cost several times the memory and garbage. Page number 0 never
 * occurs in a WAL, so it marks an empty slot.
 */
final class PageOffsetMap {

	private static final int INITIAL_CAPACITY = 64;

	private int[] keys = new int[INITIAL_CAPACITY];

	private long[] values = new long[INITIAL_CAPACITY];

	private int size;

	int size() {
		return this.size;
	}

	void put(int pgno, long offset) {
		// Keep the load factor at or below 1/2 so probe sequences stay short.
		if ((this.size + 1) * 2 > this.keys.length) {
			resize(this.keys.length * 2);
		}
		int slot = slotOf(this.keys, pgno);
		if (this.keys[slot] == 0) {
			this.keys[slot] = pgno;
			this.size++;
		}
		this.values[slot] = offset;
	}

	long get(int pgno) {
		int slot = slotOf(this.keys, pgno);
		return (this.keys[slot] == 0) ? -1 : this.values[slot];
	}

	/**
	 * Returns the page numbers not above {@code maxPgno} (both unsigned), in ascending
	 * unsigned order.
	 */
	int[] sortedKeysAtMost(int maxPgno) {
		int[] sorted = new int[this.size];
		int n = 0;
		for (int key : this.keys) {
			if (key != 0 && Integer.compareUnsigned(key, maxPgno) <= 0) {
				// Flipping the sign bit makes a signed sort order unsigned values.
				sorted[n++] = key ^ Integer.MIN_VALUE;
			}
		}
		sorted = Arrays.copyOf(sorted, n);
		Arrays.sort(sorted);
		for (int i = 0; i < n; i++) {
			sorted[i] ^= Integer.MIN_VALUE;
		}
		return sorted;
	}

	private void resize(int capacity) {
		int[] oldKeys = this.keys;
		long[] oldValues = this.values;
		this.keys = new int[capacity];
		this.values = new long[capacity];
		for (int i = 0; i < oldKeys.length; i++) {
			if (oldKeys[i] != 0) {
				int slot = slotOf(this.keys, oldKeys[i]);
				this.keys[slot] = oldKeys[i];
				this.values[slot] = oldValues[i];
			}
		}
	}

	private static int slotOf(int[] keys, int key) {
		int mask = keys.length - 1;
		// Page numbers are dense and sequential; mixing the bits spreads them over the
		// table instead of clustering runs of neighbours.
		int hash = key * 0x9E3779B9;
		int slot = (hash ^ (hash >>> 16)) & mask;
		while (keys[slot] != 0 && keys[slot] != key) {
			slot = (slot + 1) & mask;
		}
		return slot;
	}

}
