package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.sql.SQLException;

import javax.sql.DataSource;

import io.github.litestream.jdbc.LitestreamDataSource;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.StartupRestoreException;
import org.jspecify.annotations.Nullable;

/**
 * What the hooks of startup work that writes (Flyway, Liquibase) share: finding a warm
 * successor's database behind a DataSource and taking it over before the work runs
 * (DESIGN 4.16).
 */
final class StartupWriters {

	private StartupWriters() {
	}

	/**
	 * Returns the database behind a DataSource when it is a warm successor's that has not
	 * been taken over.
	 * @param dataSource the DataSource the startup work uses
	 * @return the database, or {@code null}
	 */
	static @Nullable LitestreamDatabase standby(@Nullable DataSource dataSource) {
		if (dataSource == null) {
			return null;
		}
		try {
			if (!dataSource.isWrapperFor(LitestreamDataSource.class)) {
				return null;
			}
			LitestreamDatabase database = dataSource.unwrap(LitestreamDataSource.class).getDatabase();
			// A warm successor is decided when the database is first used
			database.restoreOnStartupIfNeeded();
			return database.getOwnership().isStandby() ? database : null;
		}
		catch (SQLException ex) {
			return null;
		}
	}

	/**
	 * Takes the database over before the work runs; a failure fails the startup naming
	 * the database.
	 * @param database the database
	 * @param why what writes
	 */
	static void takeOver(LitestreamDatabase database, String why) {
		try {
			database.takeOverBeforeWrite(why);
		}
		catch (IOException ex) {
			throw new StartupRestoreException(database.getName(), database.getPath(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new StartupRestoreException(database.getName(), database.getPath(), ex);
		}
	}

}
