package io.github.litestream.testsupport;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that write continuously, round robin over the instances that listen, and
 * remember every write acknowledged with a 2xx status, and by whom: what a rolling deploy
 * must not lose. Each write carries a unique key ({@code c<client>-<sequence>}).
 */
public final class ContinuousWriters {

	private final int clients;

	private final Write write;

	private final List<BootAppInstance> instances = new CopyOnWriteArrayList<>();

	private final ScheduledExecutorService executor;

	private final Map<String, String> acknowledged = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> acknowledgedBy = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();

	private final AtomicLong attempts = new AtomicLong();

	/**
	 * Creates writers that are not started yet.
	 * @param clients how many write concurrently
	 * @param write how one write is sent
	 */
	public ContinuousWriters(int clients, Write write) {
		this.clients = clients;
		this.write = write;
		this.executor = Executors.newScheduledThreadPool(clients);
	}

	/**
	 * Adds an instance to write to.
	 * @param instance the instance
	 */
	public void add(BootAppInstance instance) {
		this.instances.add(instance);
	}

	/**
	 * Starts writing; each client pauses 5 ms between writes, so that JVMs starting
	 * meanwhile get CPU time.
	 */
	public void start() {
		for (int client = 0; client < this.clients; client++) {
			int id = client;
			AtomicInteger sequence = new AtomicInteger();
			this.executor.scheduleWithFixedDelay(() -> writeOne(id, sequence.incrementAndGet()), 0, 5,
					TimeUnit.MILLISECONDS);
		}
	}

	private void writeOne(int client, int sequence) {
		List<BootAppInstance> targets = this.instances;
		BootAppInstance target = targets.get(sequence % targets.size());
		String key = "c" + client + "-" + sequence;
		this.attempts.incrementAndGet();
		try {
			int status = this.write.send(target, key);
			if (status >= 200 && status < 300) {
				this.acknowledged.put(key, target.name());
				this.acknowledgedBy.computeIfAbsent(target.name(), (name) -> new AtomicInteger()).incrementAndGet();
			}
			else {
				this.refused.computeIfAbsent(target.name() + " " + status, (k) -> new AtomicInteger())
					.incrementAndGet();
			}
		}
		catch (IOException | RuntimeException ex) {
			this.refused
				.computeIfAbsent(target.name() + " " + ex.getClass().getSimpleName(), (k) -> new AtomicInteger())
				.incrementAndGet();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Returns how many writes an instance acknowledged.
	 * @param instance the instance
	 * @return the count
	 */
	public int acknowledged(BootAppInstance instance) {
		AtomicInteger count = this.acknowledgedBy.get(instance.name());
		return (count != null) ? count.get() : 0;
	}

	/**
	 * Waits until an instance acknowledged a number of writes.
	 * @param instance the instance
	 * @param count the number
	 * @param timeout how long to wait
	 */
	public void awaitAcknowledged(BootAppInstance instance, int count, Duration timeout) {
		await(count + " writes acknowledged by " + instance).atMost(timeout)
			.pollInterval(Duration.ofMillis(50))
			.until(() -> acknowledged(instance) >= count);
	}

	/**
	 * Stops writing and waits for the writes in flight.
	 */
	public void stop() throws InterruptedException {
		this.executor.shutdownNow();
		assertThat(this.executor.awaitTermination(1, TimeUnit.MINUTES)).as("writers stopped").isTrue();
	}

	/**
	 * Returns the acknowledged writes.
	 * @return the instance that acknowledged each key
	 */
	public Map<String, String> acknowledgedWrites() {
		return Map.copyOf(this.acknowledged);
	}

	/**
	 * Describes the run, for assertion messages.
	 * @return attempts, acknowledgements per instance, refusals per instance and cause
	 */
	public String summary() {
		return this.attempts.get() + " attempts, acknowledged " + this.acknowledgedBy + ", refused " + this.refused;
	}

	/**
	 * One write.
	 */
	@FunctionalInterface
	public interface Write {

		/**
		 * Sends one write.
		 * @param target the instance to write to
		 * @param key the write's unique key
		 * @return the HTTP status
		 */
		int send(BootAppInstance target, String key) throws IOException, InterruptedException;

	}

}
