package io.github.litestream.autoconfigure;

import java.lang.reflect.InvocationTargetException;

import javax.sql.DataSource;

import io.github.litestream.jdbc.LitestreamDatabase;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Takes a warm successor's database over before Liquibase runs (DESIGN 4.16): Liquibase
 * writes its lock table on every start, pending change sets or not, and may read before
 * it writes in one transaction, where the write would come too late to take the database
 * over. Reached by name ({@code liquibase.integration.spring.SpringLiquibase}, before its
 * {@code afterPropertiesSet} updates the database), since Liquibase is optional.
 */
final class LiquibaseStartup implements BeanPostProcessor {

	static final String SPRING_LIQUIBASE = "liquibase.integration.spring.SpringLiquibase";

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		if (isSpringLiquibase(bean.getClass())) {
			LitestreamDatabase database = StartupWriters.standby(dataSourceOf(bean));
			if (database != null) {
				StartupWriters.takeOver(database, "Liquibase (it writes its lock table on every start)");
			}
		}
		return bean;
	}

	private static boolean isSpringLiquibase(@Nullable Class<?> type) {
		for (Class<?> candidate = type; candidate != null; candidate = candidate.getSuperclass()) {
			if (SPRING_LIQUIBASE.equals(candidate.getName())) {
				return true;
			}
		}
		return false;
	}

	private static @Nullable DataSource dataSourceOf(Object liquibase) {
		try {
			Object dataSource = liquibase.getClass().getMethod("getDataSource").invoke(liquibase);
			return (dataSource instanceof DataSource found) ? found : null;
		}
		catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException ex) {
			throw new IllegalStateException("Cannot read the DataSource of the Liquibase bean " + liquibase
					+ " to take a warm successor's database over before it runs", ex);
		}
	}

}
