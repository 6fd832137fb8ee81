package io.github.litestream.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory figures from {@code /proc} and the JVM.
 */
final class ProcMem {

	private ProcMem() {
	}

	/** Peak resident set size (VmHWM) of a process in KiB, or -1 if it is gone. */
	static long peakRssKb(long pid) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
				if (line.startsWith("VmHWM:")) {
					return Long.parseLong(line.replaceAll("[^0-9]", ""));
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// The process exited.
		}
		return -1;
	}

	/**
	 * CPU time (user + system) a process has used so far, in seconds, from
	 * {@code /proc/<pid>/stat}; -1 if it is gone.
	 */
	static double cpuSeconds(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
			// Fields after the command name (which may hold spaces): state is field 3,
			// utime 14 and stime 15.
			String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) clockTicks();
		}
		catch (IOException | RuntimeException ex) {
			return -1;
		}
	}

	private static volatile long clockTicks;

	private static long clockTicks() {
		if (clockTicks == 0) {
			String ticks = Bench.firstLine(java.util.List.of("getconf", "CLK_TCK"));
			clockTicks = ticks.matches("[0-9]+") ? Long.parseLong(ticks) : 100;
		}
		return clockTicks;
	}

	/** Sum of the peak usage of every heap pool of this JVM, in bytes. */
	static long peakHeapBytes() {
		long sum = 0;
		for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
			if (pool.getType() == MemoryType.HEAP) {
				sum += pool.getPeakUsage().getUsed();
			}
		}
		return sum;
	}

	/**
	 * Polls a process's VmHWM until it exits or {@link #close()} is called, keeping the
	 * highest value seen.
	 */
	static final class Sampler implements AutoCloseable {

		private final Thread thread;

		private volatile boolean stop;

		private volatile long maxKb = -1;

		Sampler(long pid) {
			this.thread = new Thread(() -> {
				while (!this.stop) {
					long kb = peakRssKb(pid);
					if (kb < 0) {
						return;
					}
					this.maxKb = Math.max(this.maxKb, kb);
					try {
						Thread.sleep(10);
					}
					catch (InterruptedException ex) {
						return;
					}
				}
			}, "rss-" + pid);
			this.thread.setDaemon(true);
			this.thread.start();
		}

		long maxKb() {
			return this.maxKb;
		}

		@Override
		public void close() throws InterruptedException {
			this.stop = true;
			this.thread.join();
		}

	}

}
