package io.github.litestream.securitye2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps {@link ActuatorSecurityConfiguration}, which the end-to-end tests run, equal to
 * the configuration that docs/guide.md shows.
 */
class ActuatorSecurityConfigurationTests {

	private static final Path SOURCE = Path
		.of("src/test/java/io/github/litestream/securitye2e/ActuatorSecurityConfiguration.java");

	private static final Path GUIDE = Path.of("../docs/guide.md");

	@Test
	void theGuideShowsTheTestedConfigurationWordForWord() throws Exception {
		String source = Files.readString(SOURCE);
		String guide = Files.readString(GUIDE);
		String body = source.substring(source.indexOf("@Configuration(proxyBeanMethods = false)"));
		assertThat(guide).contains(body.strip());
		List<String> imports = source.lines().filter((line) -> line.startsWith("import ")).toList();
		assertThat(imports).isNotEmpty().allSatisfy((line) -> assertThat(guide).contains(line));
	}

}
