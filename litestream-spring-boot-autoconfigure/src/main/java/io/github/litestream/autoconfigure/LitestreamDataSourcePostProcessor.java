package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.jdbc.CompositeReplicationListener;
import io.github.litestream.jdbc.LitestreamDataSource;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.replication.SqliteWalResetBug;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Wraps every SQLite {@link DataSource} bean in a {@link LitestreamDataSource} and
 * registers its replication runtime. Other DataSources are left alone.
 */
final class LitestreamDataSourcePostProcessor
		implements DestructionAwareBeanPostProcessor, BeanFactoryAware, EnvironmentAware, Ordered {

	private static final Logger logger = LoggerFactory.getLogger(LitestreamDataSourcePostProcessor.class);

	private final ObjectProvider<LitestreamProperties> properties;

	private final ObjectProvider<LitestreamDatabases> databases;

	private final ObjectProvider<ReplicaClientFactory> factories;

	private @Nullable ListableBeanFactory beanFactory;

	/** The SQLite version at runtime, once checked. */
	private @Nullable String sqliteVersion;

	private @Nullable Environment environment;

	private final Map<String, LitestreamDatabase> wrapped = new ConcurrentHashMap<>();

	LitestreamDataSourcePostProcessor(ObjectProvider<LitestreamProperties> properties,
			ObjectProvider<LitestreamDatabases> databases, ObjectProvider<ReplicaClientFactory> factories) {
		this.properties = properties;
		this.databases = databases;
		this.factories = factories;
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) throws BeansException {
		this.beanFactory = (beanFactory instanceof ListableBeanFactory listable) ? listable : null;
	}

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	/**
	 * Runs last, so the wrapper is the outermost object (other post-processors see the
	 * pool itself) and {@code unwrap} still reaches the pool.
	 */
	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		if (!(bean instanceof DataSource dataSource) || bean instanceof LitestreamDataSource) {
			return bean;
		}
		LitestreamProperties properties = this.properties.getObject();
		if (!properties.isEnabled()) {
			return bean;
		}
		LitestreamProperties.Database settings = properties.getDatabases().get(beanName);
		String pathProperty;
		Path path;
		if (settings != null && settings.getPath() != null) {
			pathProperty = "litestream.databases." + beanName + ".path";
			path = settings.getPath();
		}
		else {
			String url = jdbcUrl(dataSource);
			if (!SqliteJdbcUrls.isSqlite(url)) {
				return bean;
			}
			pathProperty = "spring.datasource.url";
			path = SqliteJdbcUrls.databasePath(url);
			if (path == null) {
				logger.warn("DataSource '{}' is an in-memory SQLite database ({}); it is not replicated", beanName,
						url);
				return bean;
			}
		}
		Path absolute = path.toAbsolutePath().normalize();
		checkSqliteVersion(beanName, absolute, properties);
		LitestreamDatabase database = createDatabase(beanName, absolute, pathProperty, properties);
		this.databases.getObject().register(database);
		this.wrapped.put(beanName, database);
		return new LitestreamDataSource(dataSource, database);
	}

	/**
	 * Stops replication of a wrapped DataSource before its pool is destroyed. Spring
	 * destroys the pool itself, not the wrapper, and an application that failed to start
	 * never ran the lifecycle's stop: without this, the leases taken before the startup
	 * restore would stay held until they expire, and a handed-over instance would wait
	 * that long to take its database back.
	 */
	@Override
	public void postProcessBeforeDestruction(Object bean, String beanName) throws BeansException {
		LitestreamDatabase database = this.wrapped.remove(beanName);
		if (database != null) {
			database.stop();
		}
	}

	@Override
	public boolean requiresDestruction(Object bean) {
		return bean instanceof DataSource;
	}

	private static @Nullable String jdbcUrl(DataSource dataSource) {
		BeanWrapperImpl wrapper = new BeanWrapperImpl(dataSource);
		for (String property : new String[] { "jdbcUrl", "url" }) {
			if (wrapper.isReadableProperty(property)) {
				Object value = wrapper.getPropertyValue(property);
				if (value instanceof String url) {
					return url;
				}
			}
		}
		return null;
	}

	/**
	 * Refuses a SQLite library with the WAL-reset bug before a restore or the engine
	 * touches the database: the engine's checkpoints racing the application's writes are
	 * what triggers it. Asks SQLite itself, once, since one library serves every
	 * connection of the driver.
	 */
	private void checkSqliteVersion(String name, Path path, LitestreamProperties properties) {
		if (this.sqliteVersion != null) {
			return;
		}
		String version;
		try {
			version = SqliteWalResetBug.runtimeVersion();
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Cannot open a SQLite connection to read the SQLite version before "
					+ "replicating database '" + name + "' (" + path + "): " + ex.getMessage(), ex);
		}
		if (SqliteWalResetBug.affects(version)) {
			if (!properties.isAllowUnsafeSqliteVersion()) {
				throw new UnsafeSqliteVersionException(version, name, path);
			}
			logger.warn(
					"SQLite {} has the WAL-reset corruption bug ({}); replicating database '{}' (and any other "
							+ "SQLite database) anyway because litestream.allow-unsafe-sqlite-version=true. Use "
							+ "org.xerial:sqlite-jdbc {} (property sqlite-jdbc.version).",
					version, SqliteWalResetBug.DOCUMENTATION, name,
					UnsafeSqliteVersionFailureAnalyzer.RECOMMENDED_SQLITE_JDBC_VERSION);
		}
		this.sqliteVersion = version;
	}

	private LitestreamDatabase createDatabase(String name, Path path, String pathProperty,
			LitestreamProperties properties) {
		LitestreamPropertiesValidator.of(this.environment).validate(properties);
		Path parent = path.getParent();
		try {
			Files.createDirectories(parent);
		}
		catch (IOException ex) {
			throw new LitestreamConfigurationException(pathProperty, path,
					"the directory of database '" + name + "' cannot be created (" + ex + ")",
					"Point " + pathProperty + " at a file in a directory this process can create and write.", ex);
		}
		if (!Files.isWritable(parent)) {
			throw new LitestreamConfigurationException(pathProperty, path,
					"the directory '" + parent + "' of database '" + name + "' is not writable",
					"Point " + pathProperty + " at a writable directory, or fix its permissions.");
		}
		if (properties.getReplicas().isEmpty()) {
			logger.warn("Database '{}' ({}) has no replica: set litestream.replicas[0].url to replicate it", name,
					path);
		}
		List<Replica> replicas = createReplicas(name, properties);
		CompositeReplicationListener listener = new CompositeReplicationListener();
		ReplicatorConfig config;
		try {
			config = LitestreamDatabase.config(ReplicatorConfig.builder(name, path)
				.monitorInterval(properties.getMonitorInterval())
				.checkpointInterval(properties.getCheckpointInterval())
				.minCheckpointPageCount(properties.getMinCheckpointPageCount())
				.truncatePageCount(properties.getTruncatePageCount())
				.busyTimeout(properties.getBusyTimeout())
				.shutdownSyncTimeout(properties.getShutdownSyncTimeout())
				.levels(properties.getLevels())
				.snapshots(properties.getSnapshot().getInterval(), properties.getSnapshot().getRetention())
				.l0Retention(properties.getL0Retention())
				.restoreParallelism(properties.getRestore().getParallelism())
				.lease(leaseConfig(properties.getLease())), replicas, listener);
		}
		catch (IllegalArgumentException | NullPointerException ex) {
			throw invalidEngineSetting(ex);
		}
		LitestreamProperties.Restore restore = properties.getRestore();
		LitestreamDatabase.Settings settings = new LitestreamDatabase.Settings(
				restore.getOnStartup() == LitestreamProperties.OnStartup.IF_MISSING, restore.getIntegrityCheck(),
				restore.getDrainTimeout());
		return new LitestreamDatabase(config, replicas, settings, listener);
	}

	private static LeaseConfig leaseConfig(LitestreamProperties.Lease lease) {
		return new LeaseConfig(lease.isEnabled(), lease.getTtl(), lease.getRenewInterval(), lease.getHandover(),
				lease.getStartupTimeout());
	}

	private static LitestreamConfigurationException invalidEngineSetting(RuntimeException ex) {
		String message = String.valueOf(ex.getMessage());
		int space = message.indexOf(' ');
		String property = (message.startsWith("litestream.") && space > 0) ? message.substring(0, space) : "litestream";
		return new LitestreamConfigurationException(property, null, message,
				"Change " + property + " to a valid value (see the property documentation).", ex);
	}

	private List<Replica> createReplicas(String database, LitestreamProperties properties) {
		List<ReplicaClientFactory> factories = this.factories.orderedStream().toList();
		boolean shared = sqliteDataSourceCandidates() > 1;
		List<Replica> replicas = new ArrayList<>();
		Set<String> names = new HashSet<>();
		for (int i = 0; i < properties.getReplicas().size(); i++) {
			LitestreamProperties.Replica replica = properties.getReplicas().get(i);
			String property = "litestream.replicas[" + i + "]";
			if (replica.getUrl() == null) {
				throw new LitestreamConfigurationException(property + ".url", null, "a replica needs a URL",
						"Set " + property + ".url to 's3://bucket/prefix', 'file:///absolute/dir' or a directory.");
			}
			String scheme = (replica.getUrl().getScheme() != null)
					? replica.getUrl().getScheme().toLowerCase(Locale.ROOT) : "file";
			ReplicaClientFactory factory = factories.stream()
				.filter((f) -> f.supports(scheme))
				.findFirst()
				.orElse(null);
			if (factory == null) {
				throw unsupportedScheme(property + ".url", replica, scheme);
			}
			String name = (replica.getName() != null) ? replica.getName() : scheme;
			ReplicaClient client = factory.create(replica, property,
					new ReplicaClientFactory.Target(database, name, shared));
			if (!names.add(name)) {
				throw new LitestreamConfigurationException(property + ".name", name,
						"replica name '" + name + "' is used twice",
						"Give each replica a unique name in litestream.replicas[n].name.");
			}
			for (int j = 0; j < replicas.size(); j++) {
				if (replicas.get(j).client().location().equals(client.location())) {
					throw new LitestreamConfigurationException(property + ".url", replica.getUrl(),
							"it is the same replica as litestream.replicas[" + j + "] (" + client.location()
									+ "); the engine would take its own lease away and write every file twice",
							"Remove one of litestream.replicas[" + j + "] and " + property + ".");
				}
			}
			replicas.add(new Replica(name, client.location(), client, replica.getSyncInterval()));
		}
		return replicas;
	}

	private static LitestreamConfigurationException unsupportedScheme(String property,
			LitestreamProperties.Replica replica, String scheme) {
		if ("s3".equals(scheme)) {
			return new LitestreamConfigurationException(property, replica.getUrl(),
					"S3 replicas need the AWS SDK S3 client, which is not on the classpath",
					"Add the dependency 'io.awspring.cloud:spring-cloud-aws-starter-s3' (or "
							+ "'software.amazon.awssdk:s3'), or set " + property + " to a 'file:///absolute/dir' URL.");
		}
		return new LitestreamConfigurationException(property, replica.getUrl(),
				"the URL scheme '" + scheme + "' is not supported",
				"Set " + property + " to 's3://bucket/prefix', 'file:///absolute/dir' or a plain directory path.");
	}

	/**
	 * Counts DataSource beans: with several, each database replicates under
	 * {@code <replica>/<bean name>}; with one, directly under the replica URL so that the
	 * official Litestream finds it.
	 */
	private int sqliteDataSourceCandidates() {
		if (this.beanFactory == null) {
			return 1;
		}
		return this.beanFactory.getBeanNamesForType(DataSource.class, true, false).length;
	}

}
