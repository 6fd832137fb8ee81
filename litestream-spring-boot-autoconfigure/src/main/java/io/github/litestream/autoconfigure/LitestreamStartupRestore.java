package io.github.litestream.autoconfigure;

import javax.sql.DataSource;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Restores missing databases from their replicas while the context starts. Detected as a
 * database initializer that runs before every other one, so Flyway, Liquibase and
 * {@code spring.sql.init} wait for it. (The DataSource wrapper also restores before it
 * hands out its first connection, whatever the bean order.)
 */
public final class LitestreamStartupRestore implements InitializingBean {

	private final ObjectProvider<DataSource> dataSources;

	private final LitestreamDatabases databases;

	/**
	 * Creates the bean.
	 * @param dataSources every DataSource, created (and so wrapped) before restoring
	 * @param databases the databases
	 */
	public LitestreamStartupRestore(ObjectProvider<DataSource> dataSources, LitestreamDatabases databases) {
		this.dataSources = dataSources;
		this.databases = databases;
	}

	@Override
	public void afterPropertiesSet() {
		this.dataSources.orderedStream().forEach((dataSource) -> {
		});
		for (LitestreamDatabase database : this.databases.getAll()) {
			database.restoreOnStartupIfNeeded();
		}
	}

}
