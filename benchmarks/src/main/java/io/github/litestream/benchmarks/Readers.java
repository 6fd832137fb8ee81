package io.github.litestream.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Readers of scenario 9: every {@link #PERIOD} each instance that was added gets one read
 * of its application's cheap read path, sent without waiting for the previous one (a read
 * that hangs, on an instance draining, does not hold the next poll back). A read is
 * answered when it returns 2xx with data; a 503, a refused connection or a timeout is not
 * an answer. Asked directly, not through a load balancer: the gap measured is the
 * application's, without a platform's probe periods.
 */
final class Readers implements AutoCloseable {

	/** How often each instance is read. */
	static final long PERIOD_MS = 25;

	private final List<Handover.Instance> instances = new CopyOnWriteArrayList<>();

	private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((r) -> {
		Thread thread = new Thread(r, "readers");
		thread.setDaemon(true);
		return thread;
	});

	/** When a read was answered, and by which instance. */
	private record Answer(String instance, long nanos) {
	}

	private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();

	private volatile long startedNanos;

	void add(Handover.Instance instance) {
		this.instances.add(instance);
	}

	void start() {
		this.startedNanos = System.nanoTime();
		this.executor.scheduleAtFixedRate(() -> {
			for (Handover.Instance instance : this.instances) {
				instance.readAsync().thenAccept((answered) -> {
					if (answered) {
						this.answers.add(new Answer(instance.name(), System.nanoTime()));
					}
				});
			}
		}, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
	}

	/**
	 * The longest time in which no instance answered a read, from the start of the
	 * readers until {@code endNanos}.
	 */
	double longestGapMs(long endNanos) {
		List<Long> times = new ArrayList<>();
		times.add(this.startedNanos);
		for (Answer answer : this.answers) {
			if (answer.nanos() <= endNanos) {
				times.add(answer.nanos());
			}
		}
		times.add(endNanos);
		times.sort(null);
		long longest = 0;
		for (int i = 1; i < times.size(); i++) {
			longest = Math.max(longest, times.get(i) - times.get(i - 1));
		}
		return longest / 1e6;
	}

	/** When {@code instance} first answered a read, or {@link Long#MAX_VALUE}. */
	long firstAnswer(String instance) {
		return this.answers.stream()
			.filter((a) -> a.instance().equals(instance))
			.mapToLong(Answer::nanos)
			.min()
			.orElse(Long.MAX_VALUE);
	}

	@Override
	public void close() throws InterruptedException {
		this.executor.shutdownNow();
		this.executor.awaitTermination(10, TimeUnit.SECONDS);
	}

}
