package io.github.litestream.storage.s3;

import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.litestream.storage.ReplicaException;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * An empty prefix: Litestream builds keys as {@code path + "/" + ...}, so its files sit
 * at keys with a leading slash ({@code /0000/...}). The SDK must send such keys unchanged
 * for the official tool to find our files on AWS S3. S3Proxy cannot store them (it
 * rejects the request), so what goes on the wire is checked instead.
 */
class S3ReplicaClientEmptyPrefixTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	@Test
	void leadingSlashKeysAndPrefixesAreSentUnchanged() {
		String bucket = s3.server().createBucket("empty-prefix");
		List<SdkHttpRequest> sent = new CopyOnWriteArrayList<>();
		ExecutionInterceptor recorder = new ExecutionInterceptor() {

			@Override
			public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
				sent.add(context.httpRequest());
			}

		};
		try (S3Client recording = s3.server()
			.clientBuilder()
			.overrideConfiguration((override) -> override.addExecutionInterceptor(recorder))
			.build()) {
			S3ReplicaClient client = S3ReplicaClient.builder(recording, bucket)
				.retryPolicy(S3RetryPolicy.none())
				.build();
			assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.writeFile(0, 1, 1,
					Instant.parse("2026-01-02T03:04:05Z"), new ByteArrayInputStream(new byte[1])));
			assertThat(sent).last()
				.satisfies((request) -> assertThat(request.encodedPath())
					.isEqualTo("/" + bucket + "//0000/0000000000000001-0000000000000001.ltx"));
			assertThatExceptionOfType(ReplicaException.class).isThrownBy(() -> client.listFiles(9));
			assertThat(sent).last()
				.satisfies(
						(request) -> assertThat(request.firstMatchingRawQueryParameter("prefix")).hasValue("/0009/"));
		}
	}

}
