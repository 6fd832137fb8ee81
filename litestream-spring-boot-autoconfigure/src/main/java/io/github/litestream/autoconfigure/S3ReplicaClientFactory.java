package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.s3.S3Encryption;
import io.github.litestream.storage.s3.S3ProviderProfile;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.storage.s3.S3RequestEvent;
import io.github.litestream.storage.s3.S3RequestListener;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeProvider;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.unit.DataSize;

/**
 * Creates {@link S3ReplicaClient}s for {@code s3://bucket/prefix} URLs.
 * <p>
 * A replica uses the application's {@link S3Client} bean (the one Spring Cloud AWS
 * configures from {@code spring.cloud.aws.*}) unless it sets an endpoint, region,
 * path-style flag, keys or {@code checksums} of its own: then it gets a dedicated client,
 * which starts from the endpoint, region and credentials of that bean where the replica
 * does not override them, and which is closed when the application context closes.
 * Without an {@code S3Client} bean a dedicated client uses the AWS SDK's default region
 * and credentials chains.
 * <p>
 * A dedicated client for an endpoint that is not AWS S3 follows the
 * {@link S3ProviderProfile} of the endpoint's host: checksums only where S3 requires
 * them, signed payloads instead of {@code aws-chunked} uploads, {@code Content-MD5} on
 * {@code DeleteObjects}, and the provider's path style and upload concurrency unless the
 * replica sets them. The application's bean is used <b>unchanged</b>, even when its
 * endpoint is not AWS S3: its checksum and signing settings belong to the application (an
 * INFO line says so once, naming the two ways to change them: {@code checksums=false} on
 * the replica, or an {@code S3ClientCustomizer}). The transfer settings (part size,
 * upload concurrency) and the encryption and storage class apply whichever client is
 * used.
 * <p>
 * With several databases each one replicates under {@code <prefix>/<database>}. Every
 * request is reported to the {@link S3RequestListenerFactory} beans (the metrics).
 */
public final class S3ReplicaClientFactory implements ReplicaClientFactory, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(S3ReplicaClientFactory.class);

	private final ObjectProvider<S3Client> s3Client;

	private final ObjectProvider<S3RequestListenerFactory> listeners;

	private final List<S3Client> dedicatedClients = new CopyOnWriteArrayList<>();

	private final AtomicBoolean sharedClientNoted = new AtomicBoolean();

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
		S3Client shared = this.s3Client.getIfAvailable();
		URI endpoint = isSet(replica.getEndpoint()) ? replica.getEndpoint() : endpointOf(shared);
		S3ProviderProfile profile = S3ProviderProfile.forEndpoint(endpoint);
		S3Encryption encryption = encryption(replica, property, endpoint);
		S3Client s3 = client(replica, property, shared, profile);
		S3ReplicaClient.Builder builder = S3ReplicaClient.builder(s3, bucket)
			.requestListener(requestListener(target.database(), target.replica()))
			.encryption(encryption)
			.storageClass(replica.getStorageClass());
		configureTransfers(builder, replica, property, profile);
		try {
			builder.prefix(prefix);
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(urlProperty, url, ex.getMessage(),
					"Set " + urlProperty + " to 's3://bucket/prefix' with a prefix like 'a/b'.", ex);
		}
		logger.debug("Replica '{}' of database '{}': {} at {}, {}", target.replica(), target.database(), profile.name(),
				(endpoint != null) ? endpoint : "AWS", encryption);
		return builder.build();
	}

	private static void configureTransfers(S3ReplicaClient.Builder builder, LitestreamProperties.Replica replica,
			String property, S3ProviderProfile profile) {
		DataSize partSize = replica.getPartSize();
		try {
			builder.partSize(partSize.toBytes());
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(property + ".part-size", partSize,
					"the part size must be between 5MB (S3's smallest part) and 1GB",
					"Set " + property + ".part-size to a size such as '8MB', or remove it.", ex);
		}
		Integer concurrency = replica.getUploadConcurrency();
		if (concurrency == null) {
			concurrency = (profile.uploadConcurrency() != null) ? profile.uploadConcurrency()
					: S3ReplicaClient.DEFAULT_UPLOAD_CONCURRENCY;
		}
		try {
			builder.uploadConcurrency(concurrency);
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(property + ".upload-concurrency", concurrency,
					"at least one part must be sent at a time",
					"Set " + property + ".upload-concurrency to 1 or more, or remove it.", ex);
		}
	}

	/**
	 * The server-side encryption of a replica. The SSE-C key is never quoted in messages,
	 * nor its file's content.
	 */
	private static S3Encryption encryption(LitestreamProperties.Replica replica, String property,
			@Nullable URI endpoint) {
		boolean hasKey = hasText(replica.getSseCustomerKey());
		boolean hasKeyPath = replica.getSseCustomerKeyPath() != null;
		if (hasKey && hasKeyPath) {
			throw new LitestreamConfigurationException(property + ".sse-customer-key-path",
					replica.getSseCustomerKeyPath(), "an SSE-C key is set both directly and as a file",
					"Remove " + property + ".sse-customer-key or " + property + ".sse-customer-key-path.");
		}
		if (hasKey || hasKeyPath) {
			if (hasText(replica.getSseKmsKeyId())) {
				throw new LitestreamConfigurationException(property + ".sse-kms-key-id", replica.getSseKmsKeyId(),
						"an object is encrypted either with a KMS key (SSE-KMS) or with a key of one's own (SSE-C)",
						"Remove " + property + ".sse-kms-key-id or the SSE-C key.");
			}
			String keyProperty = property + (hasKey ? ".sse-customer-key" : ".sse-customer-key-path");
			if (endpoint != null && "http".equalsIgnoreCase(endpoint.getScheme()) && !isLoopback(endpoint)) {
				throw new LitestreamConfigurationException(keyProperty, null,
						"an SSE-C key is sent with every request, and endpoint " + endpoint
								+ " is plain HTTP (S3 refuses SSE-C over it)",
						"Use an https:// endpoint, or remove " + keyProperty + ".");
			}
			byte[] key = hasKey ? decodeKey(replica.getSseCustomerKey().strip(), keyProperty)
					: readKey(replica.getSseCustomerKeyPath(), keyProperty);
			try {
				return S3Encryption.customerKey(key, replica.getSseCustomerAlgorithm());
			}
			catch (IllegalArgumentException ex) {
				boolean algorithm = !S3Encryption.AES256.equals(replica.getSseCustomerAlgorithm());
				String failed = algorithm ? property + ".sse-customer-algorithm" : keyProperty;
				throw new LitestreamConfigurationException(failed, algorithm ? replica.getSseCustomerAlgorithm() : null,
						ex.getMessage(),
						algorithm ? "Set " + failed + " to '" + S3Encryption.AES256 + "', or remove it."
								: "Set " + failed + " to a 256-bit key, for example the output of "
										+ "'openssl rand -base64 32'.",
						ex);
			}
		}
		if (hasText(replica.getSseKmsKeyId())) {
			return S3Encryption.kms(replica.getSseKmsKeyId());
		}
		return S3Encryption.NONE;
	}

	private static byte[] decodeKey(String base64, String keyProperty) {
		try {
			return Base64.getDecoder().decode(base64);
		}
		catch (IllegalArgumentException ex) {
			// The message of the decoder quotes no key bytes, but say it in our words
			throw new LitestreamConfigurationException(keyProperty, null, "the SSE-C key is not valid base64",
					"Set " + keyProperty + " to a base64-encoded 256-bit key, for example the output of "
							+ "'openssl rand -base64 32'.");
		}
	}

	private static byte[] readKey(Path path, String keyProperty) {
		byte[] content;
		try {
			content = Files.readAllBytes(path);
		}
		catch (IOException ex) {
			throw new LitestreamConfigurationException(keyProperty, path,
					"the SSE-C key file cannot be read: " + ex.getClass().getSimpleName(),
					"Point " + keyProperty + " at a readable file holding the key.", ex);
		}
		if (content.length == 32) {
			return content;
		}
		String text = new String(content, StandardCharsets.US_ASCII).strip();
		Arrays.fill(content, (byte) 0);
		try {
			return Base64.getDecoder().decode(text);
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(keyProperty, path,
					"the SSE-C key file holds neither 32 raw bytes nor a base64-encoded key",
					"Write the key to " + path + " with 'openssl rand -base64 32 > " + path + "'.");
		}
	}

	private static boolean isLoopback(URI endpoint) {
		String host = endpoint.getHost();
		if (host == null) {
			return false;
		}
		host = host.toLowerCase(Locale.ROOT);
		return host.equals("localhost") || host.endsWith(".localhost") || host.startsWith("127.")
				|| host.equals("[::1]") || host.equals("::1");
	}

	private static @Nullable URI endpointOf(@Nullable S3Client client) {
		if (client == null) {
			return null;
		}
		try {
			return client.serviceClientConfiguration().endpointOverride().orElse(null);
		}
		catch (RuntimeException ex) {
			return null;
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

	private S3Client client(LitestreamProperties.Replica replica, String property, @Nullable S3Client shared,
			S3ProviderProfile profile) {
		if (!hasOverrides(replica)) {
			if (shared != null) {
				if (profile.customEndpoint() && this.sharedClientNoted.compareAndSet(false, true)) {
					logger.info("Replica {} uses the application's S3Client, whose endpoint {} ({}) is not AWS S3: its "
							+ "checksum and signing settings are left as they are. If the store rejects "
							+ "'aws-chunked' uploads or checksum headers, set {}.checksums=false to give the "
							+ "replica a client of its own, or set requestChecksumCalculation(WHEN_REQUIRED) in "
							+ "an S3ClientCustomizer", property, endpointOf(shared), profile.name(), property);
				}
				return shared;
			}
			logger.debug("No S3Client bean: {} gets a client from the AWS SDK's default region and credentials",
					property);
		}
		S3Client dedicated = buildDedicated(replica, property, shared, profile);
		this.dedicatedClients.add(dedicated);
		return dedicated;
	}

	private static boolean hasOverrides(LitestreamProperties.Replica replica) {
		return isSet(replica.getEndpoint()) || hasText(replica.getRegion()) || replica.getForcePathStyle() != null
				|| hasText(replica.getAccessKeyId()) || hasText(replica.getSecretAccessKey())
				|| replica.getChecksums() != null;
	}

	private static S3Client buildDedicated(LitestreamProperties.Replica replica, String property,
			@Nullable S3Client shared, S3ProviderProfile profile) {
		S3ClientBuilder builder = S3Client.builder();
		if ((profile.customEndpoint() && !Boolean.TRUE.equals(replica.getChecksums()))
				|| Boolean.FALSE.equals(replica.getChecksums())) {
			forCustomEndpoint(builder, profile);
		}
		if (replica.getForcePathStyle() == null && profile.pathStyle() != null) {
			builder.forcePathStyle(profile.pathStyle());
		}
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

	/**
	 * What Litestream does for a custom endpoint: checksums only where an operation
	 * requires one ({@code DeleteObjects}), with {@code Content-MD5} unless the provider
	 * rejects it, and payloads signed in the {@code x-amz-content-sha256} header rather
	 * than sent as {@code aws-chunked} streams, which many S3-compatible stores reject.
	 */
	private static void forCustomEndpoint(S3ClientBuilder builder, S3ProviderProfile profile) {
		builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
			.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
		if (profile.contentMd5()) {
			builder.addPlugin(LegacyMd5Plugin.create());
		}
		S3AuthSchemeProvider defaults = S3AuthSchemeProvider.defaultProvider();
		builder.authSchemeProvider((parameters) -> defaults.resolveAuthScheme(parameters)
			.stream()
			.map((option) -> option.toBuilder()
				.putSignerProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, true)
				.putSignerProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, false)
				.build())
			.toList());
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
