package io.github.litestream.autoconfigure;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Objects;
import javax.sql.DataSource;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.replication.SqliteWalResetBug;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * A small Spring Boot application for a child JVM ({@code UnsafeSqliteVersionTests}):
 * Boot's DataSource and the Litestream auto-configuration, configured by the command-line
 * arguments ({@code --spring.datasource.url=...},
 * {@code --litestream.replicas[0].url=...}).
 * <p>
 * When the context starts, it commits a row through the DataSource, syncs it to the
 * replicas, prints {@code started sqlite=<version> replicated=<true|false>} and exits
 * with 0. When startup fails, Boot has printed the failure analysis and it exits with 1.
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class })
public class SqliteGuardApplicationMain {

	/**
	 * Starts the application as the arguments say.
	 * @param args Spring Boot command-line properties
	 */
	public static void main(String[] args) {
		SpringApplication application = new SpringApplication(SqliteGuardApplicationMain.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		int status;
		try (ConfigurableApplicationContext context = application.run(args)) {
			String version;
			try (Connection connection = context.getBean(DataSource.class).getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)");
				statement.execute("INSERT INTO t (v) VALUES ('a')");
				version = SqliteWalResetBug.version(connection);
			}
			LitestreamDatabase database = Objects
				.requireNonNull(context.getBean(LitestreamDatabases.class).get("dataSource"), "database");
			boolean replicated = database.sync().replicated();
			System.out.println("started sqlite=" + version + " replicated=" + replicated);
			status = 0;
		}
		catch (Throwable ex) {
			// SpringApplication has already reported a startup failure.
			ex.printStackTrace();
			status = 1;
		}
		System.out.flush();
		System.exit(status);
	}

}
