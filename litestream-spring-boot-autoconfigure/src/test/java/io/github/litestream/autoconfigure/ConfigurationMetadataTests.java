package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.jayway.jsonpath.JsonPath;
import io.github.litestream.core.ReplicationDefaults;
import org.junit.jupiter.api.Test;

import org.springframework.boot.convert.DurationStyle;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration metadata the build generates (merged with
 * {@code additional-spring-configuration-metadata.json}) gives IDEs a description and a
 * default for every {@code litestream.*} property, values for the enums, and agrees with
 * the engine's defaults.
 */
class ConfigurationMetadataTests {

	@Test
	void everyLitestreamPropertyHasADescriptionAndADefault() throws IOException {
		List<Map<String, Object>> properties = properties();
		List<Map<String, Object>> litestream = properties.stream()
			.filter((property) -> String.valueOf(property.get("name")).startsWith("litestream."))
			.toList();
		assertThat(litestream).hasSizeGreaterThan(15);
		List<String> problems = new ArrayList<>();
		for (Map<String, Object> property : litestream) {
			String name = String.valueOf(property.get("name"));
			Object description = property.get("description");
			if (description == null || description.toString().isBlank()) {
				problems.add(name + " has no description");
			}
			// A map keyed by database name has no default beyond "empty".
			boolean map = String.valueOf(property.get("type")).startsWith("java.util.Map");
			if (!map && !property.containsKey("defaultValue")) {
				problems.add(name + " has no defaultValue");
			}
		}
		assertThat(problems).isEmpty();
	}

	@Test
	void healthIndicatorSwitchAndEnumValuesAreDescribed() throws IOException {
		Map<String, Map<String, Object>> byName = properties().stream()
			.collect(Collectors.toMap((property) -> String.valueOf(property.get("name")), (property) -> property));
		assertThat(byName.get("management.health.litestream.enabled")).containsEntry("defaultValue", true)
			.containsEntry("type", "java.lang.Boolean")
			.containsKey("description");
		List<String> hinted = JsonPath.read(metadata(), "$.hints[*].name");
		assertThat(hinted).contains("litestream.restore.on-startup", "litestream.restore.integrity-check");
		List<String> onStartup = JsonPath.read(metadata(),
				"$.hints[?(@.name == 'litestream.restore.on-startup')].values[*].value");
		assertThat(onStartup).containsExactly("if-missing", "never");
	}

	@Test
	void metadataDefaultsAreTheEngineDefaults() throws IOException {
		Map<String, Object> defaults = properties().stream()
			.filter((property) -> property.containsKey("defaultValue"))
			.collect(Collectors.toMap((property) -> String.valueOf(property.get("name")),
					(property) -> property.get("defaultValue")));
		assertThat(duration(defaults, "litestream.busy-timeout")).isEqualTo(ReplicationDefaults.BUSY_TIMEOUT);
		assertThat(duration(defaults, "litestream.checkpoint-interval"))
			.isEqualTo(ReplicationDefaults.CHECKPOINT_INTERVAL);
		assertThat(duration(defaults, "litestream.l0-retention")).isEqualTo(ReplicationDefaults.L0_RETENTION);
		assertThat(duration(defaults, "litestream.monitor-interval")).isEqualTo(ReplicationDefaults.MONITOR_INTERVAL);
		assertThat(duration(defaults, "litestream.shutdown-sync-timeout"))
			.isEqualTo(ReplicationDefaults.SHUTDOWN_SYNC_TIMEOUT);
		assertThat(duration(defaults, "litestream.snapshot.interval")).isEqualTo(ReplicationDefaults.SNAPSHOT_INTERVAL);
		assertThat(duration(defaults, "litestream.snapshot.retention"))
			.isEqualTo(ReplicationDefaults.SNAPSHOT_RETENTION);
		assertThat(defaults.get("litestream.min-checkpoint-page-count"))
			.isEqualTo(ReplicationDefaults.MIN_CHECKPOINT_PAGE_COUNT);
		assertThat(defaults.get("litestream.truncate-page-count")).isEqualTo(ReplicationDefaults.TRUNCATE_PAGE_COUNT);
		assertThat(defaults.get("litestream.restore.parallelism")).isEqualTo(ReplicationDefaults.RESTORE_PARALLELISM);
		@SuppressWarnings("unchecked")
		List<String> levels = (List<String>) defaults.get("litestream.levels");
		assertThat(levels.stream().map(DurationStyle::detectAndParse).toList())
			.isEqualTo(ReplicationDefaults.LEVEL_INTERVALS);
	}

	private static Duration duration(Map<String, Object> defaults, String name) {
		return DurationStyle.detectAndParse(String.valueOf(defaults.get(name)));
	}

	private static List<Map<String, Object>> properties() throws IOException {
		return JsonPath.read(metadata(), "$.properties[*]");
	}

	/**
	 * Reads this module's generated metadata (other jars on the class path have their
	 * own).
	 */
	private static String metadata() throws IOException {
		for (URL url : Collections.list(ConfigurationMetadataTests.class.getClassLoader()
			.getResources("META-INF/spring-configuration-metadata.json"))) {
			try (InputStream in = url.openStream()) {
				String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
				if (json.contains("\"io.github.litestream.autoconfigure.LitestreamProperties\"")) {
					return json;
				}
			}
		}
		throw new AssertionError("No META-INF/spring-configuration-metadata.json of this module on the class path");
	}

}
