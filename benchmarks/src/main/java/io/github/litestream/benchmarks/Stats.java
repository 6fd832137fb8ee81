package io.github.litestream.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Order statistics of a sample: medians, spreads and percentiles.
 */
final class Stats {

	private Stats() {
	}

	static double percentile(double[] values, double p) {
		if (values.length == 0) {
			return Double.NaN;
		}
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		// Nearest-rank percentile.
		int rank = (int) Math.ceil(p / 100.0 * sorted.length);
		return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
	}

	static double median(double[] values) {
		if (values.length == 0) {
			return Double.NaN;
		}
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int n = sorted.length;
		return (n % 2 == 1) ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	}

	static double median(List<Double> values) {
		return median(values.stream().mapToDouble(Double::doubleValue).toArray());
	}

	static double min(List<Double> values) {
		return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
	}

	static double max(List<Double> values) {
		return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
	}

	/** "median (min–max)" with the given number format. */
	static String spread(List<Double> values, String format) {
		if (values.isEmpty()) {
			return "n/a";
		}
		if (values.stream().anyMatch((v) -> v.isNaN())) {
			return "n/a";
		}
		return fmt(format, median(values)) + " (" + fmt(format, min(values)) + "–" + fmt(format, max(values)) + ")";
	}

	static String fmt(String format, double value) {
		if (Double.isNaN(value)) {
			return "n/a";
		}
		if (Double.isInfinite(value)) {
			// Some rows never reached the replica within the run.
			return "stalled";
		}
		return String.format(Locale.ROOT, format, value);
	}

}
