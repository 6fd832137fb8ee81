package io.github.litestream.durable;

import io.github.litestream.jdbc.LitestreamDatabases;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.Pointcut;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;

/**
 * Applies {@link AwaitReplicated} to the beans that carry it. The advice goes before the
 * advisors a bean's proxy already has (the transaction interceptor among them), so the
 * wait runs after a {@code @Transactional} method's commit; where the transaction is
 * opened further out, the interceptor waits after that commit instead.
 */
public final class AwaitReplicatedPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

	private final ObjectProvider<LitestreamDatabases> databases;

	/**
	 * Creates the post-processor.
	 * @param databases the replicated databases, looked up at the first wait
	 */
	public AwaitReplicatedPostProcessor(ObjectProvider<LitestreamDatabases> databases) {
		this.databases = databases;
		setBeforeExistingAdvisors(true);
		// Controllers and services are injected by class: a JDK proxy would break them
		setProxyTargetClass(true);
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		super.setBeanFactory(beanFactory);
		ConfigurableBeanFactory configurable = (beanFactory instanceof ConfigurableBeanFactory c) ? c : null;
		Pointcut pointcut = new ComposablePointcut(new AnnotationMatchingPointcut(AwaitReplicated.class, true))
			.union(new AnnotationMatchingPointcut(null, AwaitReplicated.class, true));
		this.advisor = new DefaultPointcutAdvisor(pointcut,
				new AwaitReplicatedInterceptor(this.databases, (value) -> resolve(configurable, value)));
	}

	private static String resolve(@Nullable ConfigurableBeanFactory beanFactory, String value) {
		if (beanFactory == null) {
			return value;
		}
		String resolved = beanFactory.resolveEmbeddedValue(value);
		return (resolved != null) ? resolved : value;
	}

}
