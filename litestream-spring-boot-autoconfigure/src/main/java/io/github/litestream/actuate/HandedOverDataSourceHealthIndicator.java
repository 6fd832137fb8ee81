package io.github.litestream.actuate;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.ownership.OwnershipState;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Boot's {@code db} health indicator, as an instance that no longer serves its database
 * should report it: the indicator's validation query fails there by design (the
 * DataSource refuses connections once the database was handed over or taken over, DESIGN
 * 4.14), which would turn {@code /actuator/health} DOWN and make a Docker
 * {@code HEALTHCHECK} or an autoheal restart the old instance, which would then ask for
 * the database back. A DOWN answer while a database is {@code HANDED_OVER} or
 * {@code SUPPLANTED} is reported as {@code OUT_OF_SERVICE} instead, with the reason.
 */
public final class HandedOverDataSourceHealthIndicator implements HealthIndicator {

	private final HealthIndicator delegate;

	private final LitestreamDatabases databases;

	/**
	 * Wraps Boot's indicator.
	 * @param delegate the {@code db} indicator
	 * @param databases the replicated databases
	 */
	public HandedOverDataSourceHealthIndicator(HealthIndicator delegate, LitestreamDatabases databases) {
		this.delegate = delegate;
		this.databases = databases;
	}

	@Override
	public @Nullable Health health() {
		Health health = this.delegate.health();
		if (health == null || !Status.DOWN.equals(health.getStatus())) {
			return health;
		}
		for (LitestreamDatabase database : this.databases.getAll()) {
			OwnershipState state = database.getOwnership().state();
			if (state == OwnershipState.HANDED_OVER || state == OwnershipState.SUPPLANTED) {
				return Health.outOfService()
					.withDetail("database", database.getName())
					.withDetail("ownership", state.name())
					.withDetail("reason", database.getOwnership().reason())
					.build();
			}
		}
		return health;
	}

	/**
	 * Returns the wrapped indicator.
	 * @return Boot's indicator
	 */
	public HealthIndicator getDelegate() {
		return this.delegate;
	}

}
