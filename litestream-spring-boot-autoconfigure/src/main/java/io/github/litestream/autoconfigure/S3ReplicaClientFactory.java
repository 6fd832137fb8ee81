package io.github.litestream.autoconfigure;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.storage.s3.S3RequestEvent;
import io.github.litestream.storage.s3.S3RequestListener;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Creates {@link S3ReplicaClient}s for {@code s3://bucket/prefix} URLs.
 * <p>
 * A replica uses the application's {@link S3Client} bean (the one Spring Cloud AWS
 * configures from {@code spring.cloud.aws.*}) unless it sets an endpoint, region,
 * path-style flag or keys of its own: then it gets a dedicated client, which starts from
 * the region and credentials of that bean where the replica does not override them, and
 * which is closed when the application context closes. Without an {@code S3Client} bean a
 * dedicated client uses the AWS SDK's default region and credentials chains.
 * <p>
 * With several databases each one replicates under {@code <prefix>/<database>}. Every
 * request is reported to the {@link S3RequestListenerFactory} beans (the metrics).
 */
public final class S3ReplicaClientFactory implements ReplicaClientFactory, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(S3ReplicaClientFactory.class);

	private final ObjectProvider<S3Client> s3Client;

	private final ObjectProvider<S3RequestListenerFactory> listeners;

	private final List<S3Client> dedicatedClients = new CopyOnWriteArrayList<>();

	/**
	 * Creates the factory.
	 * @param s3Client the application's client, if any
	 * @param listeners the request listener factories, in order
	 */
	public S3ReplicaClientFactory(ObjectProvider<S3Client> s3Client,
			ObjectProvider<S3RequestListenerFactory> listeners) {
		this.s3Client = s3Client;
		this.listeners = listeners;
	}

	@Override
	public boolean supports(String scheme) {
		return S3ReplicaClient.TYPE.equals(scheme);
	}

	@Override
	public ReplicaClient create(LitestreamProperties.Replica replica, String property, @Nullable String database) {
		String name = (replica.getName() != null) ? replica.getName() : S3ReplicaClient.TYPE;
		return create(replica, property, new Target((database != null) ? database : "", name, database != null));
	}

	@Override
	public ReplicaClient create(LitestreamProperties.Replica replica, String property, Target target) {
		URI url = replica.getUrl();
		String urlProperty = property + ".url";
		String bucket = bucket(url);
		if (bucket == null) {
			throw new LitestreamConfigurationException(urlProperty, url, "an S3 replica URL needs a bucket",
					"Set " + urlProperty + " to 's3://bucket/prefix'.");
		}
		String prefix = trimSlashes((url.getPath() != null) ? url.getPath() : "");
		if (target.shared()) {
			prefix = prefix.isEmpty() ? target.database() : prefix + "/" + target.database();
		}
		else if (prefix.isEmpty()) {
			// Litestream keys an empty path as "/0000/...": AWS S3 stores such keys, but
			// S3-compatible servers reject them (S3Proxy answers every LIST with 400), so
			// replication would fail on every request; dropping the slash would hide the
			// files from Litestream. A prefix works everywhere.
			throw new LitestreamConfigurationException(urlProperty, url,
					"an S3 replica needs a prefix: with none, Litestream's layout puts the files at keys starting "
							+ "with '/' ('/0000/...'), which many S3-compatible servers reject",
					"Set " + urlProperty + " to 's3://" + bucket + "/<prefix>', for example 's3://" + bucket
							+ "/app-db'.");
		}
		S3Client s3 = client(replica, property);
		S3ReplicaClient.Builder builder = S3ReplicaClient.builder(s3, bucket)
			.requestListener(requestListener(target.database(), target.replica()));
		try {
			return builder.prefix(prefix).build();
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(urlProperty, url, ex.getMessage(),
					"Set " + urlProperty + " to 's3://bucket/prefix' with a prefix like 'a/b'.", ex);
		}
	}

	private static @Nullable String bucket(@Nullable URI url) {
		if (url == null) {
			return null;
		}
		// getHost() is null for bucket names that are not valid host names (underscores)
		String authority = url.getRawAuthority();
		return (authority != null && !authority.isBlank()) ? authority : null;
	}

	private static String trimSlashes(String path) {
		String trimmed = path;
		while (trimmed.startsWith("/")) {
			trimmed = trimmed.substring(1);
		}
		while (trimmed.endsWith("/")) {
			trimmed = trimmed.substring(0, trimmed.length() - 1);
		}
		return trimmed;
	}

	private S3RequestListener requestListener(String database, String replica) {
		List<S3RequestListener> listeners = this.listeners.orderedStream()
			.map((factory) -> factory.create(database, replica))
			.toList();
		if (listeners.isEmpty()) {
			return S3RequestListener.NO_OP;
		}
		if (listeners.size() == 1) {
			return listeners.get(0);
		}
		return (S3RequestEvent event) -> listeners.forEach((listener) -> listener.onRequest(event));
	}

	private S3Client client(LitestreamProperties.Replica replica, String property) {
		S3Client shared = this.s3Client.getIfAvailable();
		if (!hasOverrides(replica)) {
			if (shared != null) {
				return shared;
			}
			logger.debug("No S3Client bean: {} gets a client from the AWS SDK's default region and credentials",
					property);
		}
		S3Client dedicated = buildDedicated(replica, property, shared);
		this.dedicatedClients.add(dedicated);
		return dedicated;
	}

	private static boolean hasOverrides(LitestreamProperties.Replica replica) {
		return isSet(replica.getEndpoint()) || hasText(replica.getRegion()) || replica.getForcePathStyle() != null
				|| hasText(replica.getAccessKeyId()) || hasText(replica.getSecretAccessKey());
	}

	private static S3Client buildDedicated(LitestreamProperties.Replica replica, String property,
			@Nullable S3Client shared) {
		S3ClientBuilder builder = S3Client.builder();
		S3ServiceClientConfiguration base = (shared != null) ? shared.serviceClientConfiguration() : null;
		if (isSet(replica.getEndpoint())) {
			builder.endpointOverride(replica.getEndpoint());
		}
		else if (base != null && base.endpointOverride().isPresent()) {
			builder.endpointOverride(base.endpointOverride().get());
		}
		if (hasText(replica.getRegion())) {
			builder.region(Region.of(replica.getRegion()));
		}
		else if (base != null && base.region() != null) {
			builder.region(base.region());
		}
		if (replica.getForcePathStyle() != null) {
			builder.forcePathStyle(replica.getForcePathStyle());
		}
		boolean hasKey = hasText(replica.getAccessKeyId());
		boolean hasSecret = hasText(replica.getSecretAccessKey());
		if (hasKey != hasSecret) {
			String missing = property + (hasKey ? ".secret-access-key" : ".access-key-id");
			// Never quote the secret: name the property only
			throw new LitestreamConfigurationException(missing, null,
					"S3 credentials need both an access key ID and a secret access key",
					"Set " + missing + ", or remove " + property + (hasKey ? ".access-key-id" : ".secret-access-key")
							+ " to use the default credentials.");
		}
		if (hasKey) {
			builder.credentialsProvider(StaticCredentialsProvider
				.create(AwsBasicCredentials.create(replica.getAccessKeyId(), replica.getSecretAccessKey())));
		}
		else if (base != null && base.credentialsProvider() != null) {
			builder.credentialsProvider(base.credentialsProvider());
		}
		try {
			return builder.build();
		}
		catch (SdkException | IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(property + ".region", replica.getRegion(),
					"the S3 client of the replica cannot be created: " + ex.getMessage(), "Set " + property
							+ ".region (or spring.cloud.aws.region.static), and check " + property + ".endpoint.",
					ex);
		}
	}

	private static boolean isSet(@Nullable URI uri) {
		return uri != null && !uri.toString().isBlank();
	}

	private static boolean hasText(@Nullable String text) {
		return text != null && !text.isBlank();
	}

	/**
	 * Closes the dedicated clients; the application's {@link S3Client} bean is left to
	 * its owner.
	 */
	@Override
	public void destroy() {
		for (S3Client client : this.dedicatedClients) {
			try {
				client.close();
			}
			catch (RuntimeException ex) {
				logger.debug("Closing a dedicated S3 client failed", ex);
			}
		}
		this.dedicatedClients.clear();
	}

}
