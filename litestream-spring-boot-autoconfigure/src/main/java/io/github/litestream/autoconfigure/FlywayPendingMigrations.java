package io.github.litestream.autoconfigure;

import io.github.litestream.jdbc.LitestreamDatabase;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;

import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Takes a warm successor's database over before Flyway migrates it when a migration is
 * pending (DESIGN 4.16): a migration writes, which only the owner may, and Flyway reads
 * its schema history in the same transaction first, so the statement that writes comes
 * too late to take the database over. Runs once the {@link Flyway} bean is configured,
 * before Spring Boot's migration initializer uses it. With nothing pending nothing
 * happens: the database is taken over once the application is ready.
 */
final class FlywayPendingMigrations implements BeanPostProcessor {

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof Flyway flyway) {
			LitestreamDatabase database = StartupWriters.standby(flyway.getConfiguration().getDataSource());
			if (database != null) {
				takeOverIfPending(flyway, database);
			}
		}
		return bean;
	}

	private static void takeOverIfPending(Flyway flyway, LitestreamDatabase database) {
		String why;
		try {
			MigrationInfo[] pending = flyway.info().pending();
			if (pending.length == 0) {
				return;
			}
			MigrationInfo first = pending[0];
			why = "Flyway (" + pending.length + " pending migration" + ((pending.length > 1) ? "s" : "")
					+ ", the first " + ((first.getVersion() != null) ? first.getVersion() + " " : "")
					+ first.getDescription() + ")";
		}
		catch (FlywayException ex) {
			why = "Flyway (whether a migration is pending could not be read: " + ex.getMessage() + ")";
		}
		StartupWriters.takeOver(database, why);
	}

}
