package io.github.litestream.durable;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Waits after an {@link AwaitReplicated} method returned, and after the transaction
 * around it committed when there is one. Inside a transaction the method's return is not
 * yet a commit, so the wait is registered as an after-commit synchronization: the
 * transaction's commit then returns (or fails) only once the replicas hold it, and with
 * it the outermost {@code @Transactional} call.
 */
final class AwaitReplicatedInterceptor implements MethodInterceptor {

	private final ObjectProvider<LitestreamDatabases> databases;

	private final Function<String, String> placeholders;

	AwaitReplicatedInterceptor(ObjectProvider<LitestreamDatabases> databases, Function<String, String> placeholders) {
		this.databases = databases;
		this.placeholders = placeholders;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		AwaitReplicated annotation = findAnnotation(invocation);
		Object result = invocation.proceed();
		if (annotation == null || invocation.getMethod().getDeclaringClass() == Object.class) {
			// On a class: equals, hashCode and toString commit nothing
			return result;
		}
		String where = invocation.getMethod().getDeclaringClass().getSimpleName() + "."
				+ invocation.getMethod().getName() + "()";
		Duration timeout = timeout(annotation, where);
		LitestreamDatabase database = database(annotation, where);
		if (TransactionSynchronizationManager.isSynchronizationActive()
				&& TransactionSynchronizationManager.isActualTransactionActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void afterCommit() {
					await(database, timeout);
				}

			});
		}
		else {
			await(database, timeout);
		}
		return result;
	}

	private static void await(LitestreamDatabase database, Duration timeout) {
		try {
			database.awaitReplicated(timeout);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting until the commit to database '"
					+ database.getName() + "' is on every replica", ex);
		}
	}

	private static @Nullable AwaitReplicated findAnnotation(MethodInvocation invocation) {
		Object target = invocation.getThis();
		Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target)
				: invocation.getMethod().getDeclaringClass();
		Method method = AopUtils.getMostSpecificMethod(invocation.getMethod(), targetClass);
		AwaitReplicated found = AnnotatedElementUtils.findMergedAnnotation(method, AwaitReplicated.class);
		return (found != null) ? found : AnnotatedElementUtils.findMergedAnnotation(targetClass, AwaitReplicated.class);
	}

	private Duration timeout(AwaitReplicated annotation, String where) {
		String value = this.placeholders.apply(annotation.timeout());
		try {
			Duration timeout = DurationStyle.detectAndParse(value.trim());
			if (timeout.isNegative()) {
				throw new IllegalArgumentException("negative");
			}
			return timeout;
		}
		catch (RuntimeException ex) {
			throw new IllegalStateException("@AwaitReplicated(timeout = \"" + annotation.timeout() + "\") on " + where
					+ " is not a duration ('" + value + "'); use a value such as \"5s\" or \"PT5S\"", ex);
		}
	}

	private LitestreamDatabase database(AwaitReplicated annotation, String where) {
		LitestreamDatabases all = this.databases.getIfAvailable();
		Collection<String> names = (all != null) ? all.getNames() : List.of();
		String name = annotation.database();
		if (name.isEmpty()) {
			if (names.size() != 1) {
				throw new IllegalStateException("@AwaitReplicated on " + where + " names no database, and the "
						+ "application has " + names.size() + " replicated databases " + names
						+ "; set database to the DataSource bean name");
			}
			name = names.iterator().next();
		}
		LitestreamDatabase database = (all != null) ? all.get(name) : null;
		if (database == null) {
			throw new IllegalStateException("@AwaitReplicated(database = \"" + name + "\") on " + where
					+ " names no replicated database; the replicated databases are " + names);
		}
		return database;
	}

}
