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
 * S3Proxy in a child JVM ({@link S3ProxyServer}), which needs no Docker engine, or MinIO
 * through Testcontainers where a Docker engine answers.
 * <p>
 * Suites that must hold on more than one implementation (the replica client contract,
 * conditional writes, the official Litestream interop) run once per
 * {@link Implementation} as a parameterized class that selects the server before its
 * tests: <pre class="code">
 * &#64;ParameterizedClass(name = "[{0}]")
 * &#64;EnumSource(S3ServerExtension.Implementation.class)
 * class FooTests {
 *     &#64;RegisterExtension
 *     static final S3ServerExtension s3 = new S3ServerExtension();
 *
 *     // Without a consumer of the argument JUnit injects it nowhere, not even below
 *     &#64;Parameter
 *     S3ServerExtension.Implementation implementation;
 *
 *     &#64;BeforeParameterizedClassInvocation
 *     static void selectServer(S3ServerExtension.Implementation implementation) {
 *         s3.use(implementation);
 *     }
 * }
 * </pre> Each implementation is started once per run and shared.
 */
public final class S3ServerExtension implements BeforeAllCallback, ParameterResolver {

	private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace
		.create(S3ServerExtension.class);

	private volatile @Nullable S3Server server;

	private volatile @Nullable Implementation implementation;

	private volatile @Nullable ExtensionContext root;

	/**
	 * An S3 implementation the tests can run on.
	 */
	public enum Implementation {

		/** S3Proxy in a child JVM ({@link S3ProxyServer}). */
		S3PROXY,

		/** moto's server in a child Python process ({@link MotoServer}). */
		MOTO

	}

	@Override
	public void beforeAll(ExtensionContext context) {
		this.root = context.getRoot();
		Implementation implementation = this.implementation;
		this.server = (implementation != null) ? shared(context, implementation) : shared(context);
	}

	/**
	 * Selects the implementation for the tests that follow, starting it if this run has
	 * not yet; for parameterized classes, from a
	 * {@code @BeforeParameterizedClassInvocation} method.
	 * @param implementation the implementation
	 */
	public void use(Implementation implementation) {
		this.implementation = implementation;
		ExtensionContext root = this.root;
		if (root != null) {
			this.server = shared(root, implementation);
		}
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
		S3Server server = this.server;
		return (server != null) ? server : shared(extensionContext);
	}

	private static S3Server shared(ExtensionContext context) {
		boolean forceProxy = "s3proxy".equals(System.getProperty("litestream.s3.server"));
		if (!forceProxy && DockerClientFactory.instance().isDockerAvailable()) {
			return context.getRoot()
				.getStore(NAMESPACE)
				.computeIfAbsent(S3Server.class, (key) -> MinioServer.start(), S3Server.class);
		}
		return shared(context, Implementation.S3PROXY);
	}

	private static S3Server shared(ExtensionContext context, Implementation implementation) {
		return context.getRoot().getStore(NAMESPACE).computeIfAbsent(implementation, (key) -> switch (implementation) {
			case S3PROXY -> S3ProxyServer.start();
			case MOTO -> MotoServer.start();
		}, S3Server.class);
	}

}
