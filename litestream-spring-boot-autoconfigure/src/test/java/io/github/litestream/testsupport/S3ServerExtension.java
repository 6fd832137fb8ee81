package io.github.litestream.testsupport;

import org.testcontainers.DockerClientFactory;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.jspecify.annotations.Nullable;

/**
 * Provides one S3-compatible {@link S3Server} for the whole test run, started on first
 * use and stopped when the run ends (it lives in the root extension store, which closes
 * it).
 * <p>
 * Use it as a field, so that the server is also available where JUnit passes no
 * parameters (a superclass's {@code @BeforeEach}, a {@code @DynamicPropertySource}):
 * <pre class="code">
 * &#64;RegisterExtension
 * static final S3ServerExtension s3 = new S3ServerExtension();
 * ...
 * S3ReplicaClient.builder(s3.server().client(), s3.server().createBucket("test"))
 * </pre> or with {@code @ExtendWith(S3ServerExtension.class)} and an {@link S3Server}
 * parameter.
 * <p>
 * Which server runs is decided here, once, so that every S3 test runs unchanged on it:
 * today S3Proxy in a child JVM ({@link S3ProxyServer}), which needs no Docker engine.
 * MinIO through Testcontainers, where a Docker engine answers, is to be added here as
 * another {@link S3Server}.
 */
public final class S3ServerExtension implements BeforeAllCallback, ParameterResolver {

	private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace
		.create(S3ServerExtension.class);

	private volatile @Nullable S3Server server;

	@Override
	public void beforeAll(ExtensionContext context) {
		this.server = shared(context);
	}

	/**
	 * Returns the server of this test run.
	 * @return the running server
	 * @throws IllegalStateException if used before JUnit ran the extension, for example
	 * from a non-static field
	 */
	public S3Server server() {
		S3Server server = this.server;
		if (server == null) {
			throw new IllegalStateException("S3ServerExtension has not run yet: register it on a static field");
		}
		return server;
	}

	@Override
	public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return parameterContext.getParameter().getType() == S3Server.class;
	}

	@Override
	public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return shared(extensionContext);
	}

	private static S3Server shared(ExtensionContext context) {
		return context.getRoot().getStore(NAMESPACE).computeIfAbsent(S3Server.class, (key) -> start(), S3Server.class);
	}

	/**
	 * Starts MinIO through Testcontainers when a Docker engine answers, otherwise S3Proxy
	 * in a child JVM; {@code -Dlitestream.s3.server=s3proxy} forces S3Proxy.
	 */
	private static S3Server start() {
		boolean forceProxy = "s3proxy".equals(System.getProperty("litestream.s3.server"));
		if (!forceProxy && DockerClientFactory.instance().isDockerAvailable()) {
			return MinioServer.start();
		}
		return S3ProxyServer.start();
	}

}
