package io.github.litestream.autoconfigure;

import io.github.litestream.core.ReplicationListener;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Turns the application's readiness to {@link ReadinessState#REFUSING_TRAFFIC} once it
 * handed a database over to another instance (DESIGN 4.14): that instance serves it now,
 * so a load balancer or Kubernetes stops sending requests here. Liveness is left alone:
 * restarting this instance would only ask for the lease back.
 */
class LitestreamHandoverReadiness implements ReplicationListener {

	private final ApplicationEventPublisher publisher;

	LitestreamHandoverReadiness(ApplicationEventPublisher publisher) {
		this.publisher = publisher;
	}

	@Override
	public void onHandover(String database, String successor, long txid) {
		AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.REFUSING_TRAFFIC);
	}

}
