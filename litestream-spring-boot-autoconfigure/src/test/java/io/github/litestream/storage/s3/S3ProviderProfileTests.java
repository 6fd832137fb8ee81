package io.github.litestream.storage.s3;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the provider profile chosen for each endpoint host.
 */
class S3ProviderProfileTests {

	private static S3ProviderProfile of(String endpoint) {
		return S3ProviderProfile.forEndpoint(URI.create(endpoint));
	}

	@Test
	void noEndpointIsAwsWithTheSdkDefaults() {
		assertThat(S3ProviderProfile.forEndpoint(null)).isSameAs(S3ProviderProfile.AWS);
		assertThat(S3ProviderProfile.AWS.customEndpoint()).isFalse();
		assertThat(S3ProviderProfile.AWS.pathStyle()).isNull();
		assertThat(S3ProviderProfile.AWS.uploadConcurrency()).isNull();
	}

	@ParameterizedTest
	@ValueSource(strings = { "https://s3.amazonaws.com", "https://s3.eu-west-1.amazonaws.com",
			"https://bucket.s3.us-east-2.amazonaws.com", "https://s3.cn-north-1.amazonaws.com.cn",
			"https://S3.EU-WEST-1.AMAZONAWS.COM" })
	void amazonawsHostsAreAws(String endpoint) {
		assertThat(of(endpoint)).isSameAs(S3ProviderProfile.AWS);
	}

	@Test
	void cloudflareR2UploadsTwoPartsAtATime() {
		S3ProviderProfile r2 = of("https://0123456789abcdef.r2.cloudflarestorage.com");
		assertThat(r2.name()).isEqualTo("Cloudflare R2");
		assertThat(r2.customEndpoint()).isTrue();
		assertThat(r2.uploadConcurrency()).isEqualTo(2);
		assertThat(r2.pathStyle()).isNull();
		assertThat(r2.contentMd5()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "https://s3.us-west-004.backblazeb2.com", "https://s3.filebase.com",
			"https://abcdefgh.supabase.co/storage/v1/s3" })
	void backblazeFilebaseAndSupabaseUsePathStyle(String endpoint) {
		S3ProviderProfile profile = of(endpoint);
		assertThat(profile.customEndpoint()).isTrue();
		assertThat(profile.pathStyle()).isTrue();
		assertThat(profile.uploadConcurrency()).isNull();
	}

	@ParameterizedTest
	@ValueSource(strings = { "http://localhost:9000", "http://127.0.0.1:39123", "https://minio.internal:9000" })
	void serversOnAPortUsePathStyleAsMinioNeeds(String endpoint) {
		S3ProviderProfile profile = of(endpoint);
		assertThat(profile.customEndpoint()).isTrue();
		assertThat(profile.pathStyle()).isTrue();
		assertThat(profile.contentMd5()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "https://fly.storage.tigris.dev", "https://t3.storage.dev" })
	void tigrisGetsNoContentMd5(String endpoint) {
		S3ProviderProfile tigris = of(endpoint);
		assertThat(tigris.name()).isEqualTo("Tigris");
		assertThat(tigris.contentMd5()).isFalse();
		assertThat(tigris.customEndpoint()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "https://storage.googleapis.com", "https://storage-download.googleapis.com",
			"https://us-east1-storage.googleapis.com" })
	void googleCloudStorageXmlApiIsRecognised(String endpoint) {
		assertThat(of(endpoint).name()).isEqualTo("Google Cloud Storage");
	}

	@ParameterizedTest
	@ValueSource(strings = { "https://storage.googleapis.com.evil.example", "https://www.googleapis.com",
			"https://evilstorage.googleapis.com", "https://x.storage.googleapis.com" })
	void googleLookalikesAreNotGoogleCloudStorage(String endpoint) {
		assertThat(of(endpoint).name()).isNotEqualTo("Google Cloud Storage");
	}

	@Test
	void otherKnownProvidersKeepVirtualHostedAddressing() {
		assertThat(of("https://fra1.digitaloceanspaces.com").name()).isEqualTo("DigitalOcean Spaces");
		assertThat(of("https://s3.fr-par.scw.cloud").name()).isEqualTo("Scaleway");
		assertThat(of("https://fsn1.your-objectstorage.com").name()).isEqualTo("Hetzner");
		assertThat(of("https://s3.eu-central-1.wasabisys.com").name()).isEqualTo("Wasabi");
		assertThat(of("https://fra1.digitaloceanspaces.com").pathStyle()).isNull();
	}

	@Test
	void unknownHostWithoutPortIsAGenericCustomEndpoint() {
		S3ProviderProfile profile = of("https://objects.example.com");
		assertThat(profile.customEndpoint()).isTrue();
		assertThat(profile.pathStyle()).isNull();
		assertThat(profile.uploadConcurrency()).isNull();
		assertThat(profile.contentMd5()).isTrue();
	}

	@Test
	void lookalikeOfAKnownSuffixIsNotThatProvider() {
		assertThat(of("https://r2.cloudflarestorage.com.example.org").uploadConcurrency()).isNull();
		assertThat(of("https://notamazonaws.com").customEndpoint()).isTrue();
	}

}
