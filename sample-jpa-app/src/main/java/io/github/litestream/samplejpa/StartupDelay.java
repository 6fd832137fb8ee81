package io.github.litestream.samplejpa;

import java.time.Duration;

import jakarta.persistence.EntityManagerFactory;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Makes the application's start longer after its database is ready, as a real
 * application's is: a PetClinic-sized context spends seconds in Hibernate, caches and its
 * web layer once the DataSource exists. Opt-in through {@code clinic.startup-delay} (none
 * by default), so that a rolling deploy can be measured with a start of that shape (the
 * benchmarks' scenario 9). It depends on the {@link EntityManagerFactory}, so the delay
 * comes after the DataSource, Flyway and Hibernate, and before the web server starts.
 */
@Component
class StartupDelay {

	private static final Log logger = LogFactory.getLog(StartupDelay.class);

	StartupDelay(EntityManagerFactory entityManagerFactory, @Value("${clinic.startup-delay:0s}") Duration delay)
			throws InterruptedException {
		if (!delay.isZero() && !delay.isNegative()) {
			logger.info("Delaying the start by " + delay + " (clinic.startup-delay)");
			Thread.sleep(delay.toMillis());
		}
	}

}
