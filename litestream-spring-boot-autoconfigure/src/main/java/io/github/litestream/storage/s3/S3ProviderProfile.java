package io.github.litestream.storage.s3;

import java.net.URI;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * What an S3-compatible store needs from the client, chosen from the host of the
 * endpoint, as Litestream chooses it (its {@code docs/PROVIDER_COMPATIBILITY.md}).
 * <p>
 * Every {@link #customEndpoint() custom endpoint} gets the AWS SDK's optional checksums
 * only when an operation requires them, payloads signed in the
 * {@code x-amz-content-sha256} header rather than sent as {@code aws-chunked} streams,
 * and {@code Content-MD5} on the operations that require a checksum: since 2.30 the SDK
 * adds CRC checksums, {@code aws-chunked} encoding and checksum trailers to every upload,
 * which many S3-compatible stores reject or mishandle. AWS S3 itself keeps the SDK's
 * defaults. On top of that a known provider may change the defaults of path-style
 * addressing and upload concurrency, or drop {@code Content-MD5}; a setting made
 * explicitly always wins over the profile.
 *
 * @param name the provider, for messages and logs
 * @param customEndpoint whether the endpoint is not AWS S3 itself
 * @param pathStyle the default of path-style addressing, or {@code null} to leave the
 * SDK's default (virtual-hosted)
 * @param uploadConcurrency the default number of parts uploaded at once, or {@code null}
 * for the client's default
 * @param contentMd5 whether operations that require a checksum send {@code Content-MD5}
 */
public record S3ProviderProfile(String name, boolean customEndpoint, @Nullable Boolean pathStyle,
		@Nullable Integer uploadConcurrency, boolean contentMd5) {

	/**
	 * AWS S3, reached without an endpoint override or at an {@code amazonaws.com} host:
	 * the SDK's defaults.
	 */
	public static final S3ProviderProfile AWS = new S3ProviderProfile("AWS S3", false, null, null, false);

	/**
	 * The profile of an endpoint.
	 * @param endpoint the endpoint override, or {@code null} for AWS S3
	 * @return the profile; {@link #AWS} without an endpoint
	 */
	public static S3ProviderProfile forEndpoint(@Nullable URI endpoint) {
		String host = (endpoint != null) ? endpoint.getHost() : null;
		if (host == null || host.isBlank()) {
			return (endpoint == null || endpoint.toString().isBlank()) ? AWS : generic("S3-compatible", null);
		}
		host = host.toLowerCase(Locale.ROOT);
		if (host.endsWith(".")) {
			host = host.substring(0, host.length() - 1);
		}
		if (host.equals("amazonaws.com") || host.endsWith(".amazonaws.com") || host.endsWith(".amazonaws.com.cn")) {
			return AWS;
		}
		if (host.endsWith(".r2.cloudflarestorage.com")) {
			// R2 refuses more than two or three concurrent part uploads
			return new S3ProviderProfile("Cloudflare R2", true, null, 2, true);
		}
		if (host.endsWith(".backblazeb2.com")) {
			return generic("Backblaze B2", true);
		}
		if (host.equals("s3.filebase.com")) {
			return generic("Filebase", true);
		}
		if (host.endsWith(".supabase.co")) {
			return generic("Supabase Storage", true);
		}
		if (host.equals("fly.storage.tigris.dev") || host.equals("t3.storage.dev")) {
			// Tigris rejects Content-MD5 on the requests that carry it
			return new S3ProviderProfile("Tigris", true, null, null, false);
		}
		if (isGoogleCloudStorage(host)) {
			return generic("Google Cloud Storage", null);
		}
		if (host.endsWith(".digitaloceanspaces.com")) {
			return generic("DigitalOcean Spaces", null);
		}
		if (host.endsWith(".scw.cloud")) {
			return generic("Scaleway", null);
		}
		if (host.endsWith(".your-objectstorage.com")) {
			return generic("Hetzner", null);
		}
		if (host.endsWith(".wasabisys.com")) {
			return generic("Wasabi", null);
		}
		if (endpoint.getPort() != -1) {
			// A server of one's own (MinIO, Garage, Ceph, S3Proxy) on host:port seldom
			// has the wildcard DNS that virtual-hosted addressing needs
			return generic("S3-compatible server on a port (MinIO and the like)", true);
		}
		return generic("S3-compatible", null);
	}

	private static S3ProviderProfile generic(String name, @Nullable Boolean pathStyle) {
		return new S3ProviderProfile(name, true, pathStyle, null, true);
	}

	/**
	 * Cloud Storage's XML API: the {@code googleapis.com} domain with {@code storage} as
	 * a dash-separated segment of the first label ({@code storage},
	 * {@code storage-download}, {@code us-east1-storage}), not of a deeper one.
	 */
	private static boolean isGoogleCloudStorage(String host) {
		String[] labels = host.split("\\.", -1);
		if (labels.length < 3 || !labels[labels.length - 2].equals("googleapis")
				|| !labels[labels.length - 1].equals("com")) {
			return false;
		}
		for (String label : labels) {
			if (label.isEmpty()) {
				return false;
			}
		}
		for (String segment : labels[0].split("-")) {
			if (segment.equals("storage")) {
				return true;
			}
		}
		return false;
	}

}
