package io.github.litestream.autoconfigure;

import io.github.litestream.core.ReplicationListener;
import io.github.litestream.ownership.OwnershipState;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Turns the application's readiness to {@link ReadinessState#REFUSING_TRAFFIC} once it no
 * longer serves a database (DESIGN 4.14): it handed it over to another instance, or
 * another instance took it over while this one could not renew its lease. That instance
 * serves it now, so a load balancer or Kubernetes stops sending requests here; back to
 * {@link ReadinessState#ACCEPTING_TRAFFIC} if it takes the database back (the successor
 * gave it up). A fenced instance (it cannot renew its lease for now) stays ready: it
 * serves reads and answers writes with 503 until the lease is renewed. Liveness is left
 * alone: restarting this instance would only ask for the lease back.
 */
class LitestreamHandoverReadiness implements ReplicationListener {

	private final ApplicationEventPublisher publisher;

	LitestreamHandoverReadiness(ApplicationEventPublisher publisher) {
		this.publisher = publisher;
	}

	@Override
	public void onOwnershipChanged(String database, OwnershipState from, OwnershipState to, String reason) {
		if (to == OwnershipState.HANDED_OVER || to == OwnershipState.SUPPLANTED) {
			AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.REFUSING_TRAFFIC);
		}
		else if (to == OwnershipState.OWNER
				&& (from == OwnershipState.HANDED_OVER || from == OwnershipState.SUPPLANTED)) {
			AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.ACCEPTING_TRAFFIC);
		}
	}

}
