package io.github.litestream.storage.s3;

import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The S3 conditional writes that leases and exclusive creates rely on, at the raw
 * {@link S3Client} level, on every test server: {@code If-None-Match: *} creates an
 * object only if it does not exist, {@code If-Match: <etag>} replaces it only if it is
 * still that version; otherwise 412 Precondition Failed.
 */
@ParameterizedClass(name = "[{0}]")
@EnumSource(S3ServerExtension.Implementation.class)
class S3ConditionalWritesTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	@Parameter
	S3ServerExtension.Implementation implementation;

	@BeforeParameterizedClassInvocation
	static void selectServer(S3ServerExtension.Implementation implementation) {
		s3.use(implementation);
	}

	private String bucket;

	@BeforeEach
	void createBucket() {
		this.bucket = s3.server().createBucket("conditional");
	}

	private static S3Client raw() {
		return s3.server().client();
	}

	private PutObjectResponse put(String key, String body, String ifNoneMatch, String ifMatch) {
		return raw().putObject(
				(request) -> request.bucket(this.bucket).key(key).ifNoneMatch(ifNoneMatch).ifMatch(ifMatch),
				RequestBody.fromString(body));
	}

	private String read(String key) {
		return raw().getObjectAsBytes((request) -> request.bucket(this.bucket).key(key)).asUtf8String();
	}

	@Test
	void ifNoneMatchStarCreatesAnObjectOnlyOnce() {
		assertThat(put("lock", "first", "*", null).eTag()).isNotBlank();
		assertThatExceptionOfType(S3Exception.class).isThrownBy(() -> put("lock", "second", "*", null))
			.satisfies((ex) -> assertThat(ex.statusCode()).isEqualTo(412));
		assertThat(read("lock")).isEqualTo("first");
	}

	@Test
	void ifMatchReplacesOnlyTheVersionItNames() {
		String first = put("lease", "v1", null, null).eTag();
		String second = put("lease", "v2", null, first).eTag();
		assertThat(second).isNotEqualTo(first);
		assertThatExceptionOfType(S3Exception.class).isThrownBy(() -> put("lease", "stale", null, first))
			.satisfies((ex) -> assertThat(ex.statusCode()).isEqualTo(412));
		assertThat(read("lease")).isEqualTo("v2");
	}

	@Test
	void ifMatchOnAMissingObjectFails() {
		assertThatExceptionOfType(S3Exception.class)
			.isThrownBy(() -> put("missing", "v1", null, "\"0123456789abcdef0123456789abcdef\""))
			.satisfies((ex) -> assertThat(ex.statusCode()).isIn(404, 412));
	}

}
