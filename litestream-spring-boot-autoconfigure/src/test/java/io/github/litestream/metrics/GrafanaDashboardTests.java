package io.github.litestream.metrics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import io.github.litestream.autoconfigure.LitestreamAutoConfiguration;
import io.github.litestream.autoconfigure.LitestreamMetricsAutoConfiguration;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.testsupport.RepositoryFiles;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Grafana dashboard shipped in {@code docs/grafana/litestream-dashboard.json} queries
 * only series that the starter exports: every metric name and every label in every PromQL
 * expression (panel targets and template variables) is checked against a real Prometheus
 * scrape of an application context with Boot's Prometheus registry, a real SQLite
 * database and a file replica, after a write, a sync and a checkpoint, so that every
 * meter exists. A meter renamed in {@link LitestreamMetrics}, or a query mistyped in the
 * dashboard, fails here instead of showing an empty panel. The PromQL the guide shows
 * (its {@code promql} blocks and the {@code expr} of its alert rules) is checked the same
 * way.
 */
class GrafanaDashboardTests {

	private static final Path DASHBOARD = RepositoryFiles.resolve("docs/grafana/litestream-dashboard.json");

	private static final Path GUIDE = RepositoryFiles.resolve("docs/guide.md");

	/** Labels Prometheus adds to every series it scrapes: never in the scrape text. */
	private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

	private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
			"bool", "and", "or", "unless", "offset", "inf", "nan");

	private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");

	private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");

	private static final Pattern LABEL_LIST = Pattern
		.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");

	private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()");

	private static final Pattern LABEL_VALUES = Pattern
		.compile("^label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\)$");

	private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+\\S+.*$");

	private static final Pattern SAMPLE_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

	@TempDir
	static Path dir;

	/** Every series of the scrape: metric name to the label sets of its samples. */
	private static Map<String, List<Map<String, String>>> scraped;

	@BeforeAll
	static void scrape() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					PrometheusMetricsExportAutoConfiguration.class, DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + dir.resolve("data/app.db"),
					"litestream.replicas[0].name=file", "litestream.replicas[0].url=" + dir.resolve("replica").toUri(),
					"litestream.monitor-interval=50ms", "litestream.replicas[0].sync-interval=0s",
					// A checkpoint after the first few pages, so that the checkpoint
					// timer exists
					"litestream.min-checkpoint-page-count=2", "litestream.checkpoint-interval=100ms",
					// The guide's percentile query needs the histogram it tells users to
					// enable
					"management.metrics.distribution.percentiles-histogram.litestream.sync=true")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				try (Connection connection = context.getBean(DataSource.class).getConnection();
						Statement statement = connection.createStatement()) {
					statement.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
					for (int i = 0; i < 20; i++) {
						statement.execute("INSERT INTO t (v) VALUES (randomblob(2000))");
					}
				}
				context.getBean(LitestreamDatabases.class).get("dataSource").sync();
				PrometheusMeterRegistry registry = context.getBean(PrometheusMeterRegistry.class);
				await().atMost(Duration.ofSeconds(30))
					.until(() -> registry.find("litestream.checkpoint").timer() != null);
				scraped = parse(registry.scrape());
			});
	}

	@Test
	void everyMetricAndLabelTheDashboardQueriesIsInTheScrape() throws Exception {
		List<String> queries = queries();
		assertThat(queries).as("queries in %s", DASHBOARD).hasSizeGreaterThan(10);
		Set<String> used = new TreeSet<>();
		List<String> problems = new ArrayList<>();
		for (String query : queries) {
			used.addAll(check(query, problems));
		}
		assertThat(problems).as("queries of %s against the scrape, which has %s", DASHBOARD, scraped.keySet())
			.isEmpty();
		assertThat(used).as("metrics that need configuration (histogram buckets)")
			.noneMatch((metric) -> metric.endsWith("_bucket"));
		assertThat(used).as("the panels the brief of the dashboard asks for")
			.contains("litestream_replica_lag_seconds", "litestream_txid", "litestream_replica_txid",
					"litestream_replica_operations_total", "litestream_replica_bytes_total",
					"litestream_sync_seconds_count", "litestream_wal_size_bytes", "litestream_checkpoint_seconds_count",
					"litestream_ownership");
	}

	@Test
	void everyMetricAndLabelTheGuideQueriesIsInTheScrape() throws Exception {
		List<String> queries = guideQueries();
		assertThat(queries).as("queries in %s", GUIDE).hasSizeGreaterThan(10);
		List<String> problems = new ArrayList<>();
		for (String query : queries) {
			check(query, problems);
		}
		assertThat(problems).as("queries of %s against the scrape, which has %s", GUIDE, scraped.keySet()).isEmpty();
	}

	@Test
	void dashboardIsImportableWithAPrometheusInputAndADatabaseVariable() throws Exception {
		JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
		assertThat(dashboard.get("__inputs").get(0).get("name").asString()).isEqualTo("DS_PROMETHEUS");
		assertThat(dashboard.get("__inputs").get(0).get("pluginId").asString()).isEqualTo("prometheus");
		assertThat(dashboard.get("id").isNull()).isTrue();
		assertThat(dashboard.get("schemaVersion").asInt()).isGreaterThanOrEqualTo(41);
		JsonNode database = dashboard.get("templating").get("list").get(0);
		assertThat(database.get("name").asString()).isEqualTo("database");
		assertThat(database.get("definition").asString()).startsWith("label_values(");
		Set<Integer> ids = new HashSet<>();
		for (JsonNode panel : dashboard.get("panels")) {
			assertThat(ids.add(panel.get("id").asInt())).as("panel id %s is unique", panel.get("id")).isTrue();
			if (!"row".equals(panel.get("type").asString())) {
				assertThat(panel.get("datasource").get("uid").asString()).isEqualTo("${DS_PROMETHEUS}");
				assertThat(panel.get("targets")).as(panel.get("title").asString()).isNotEmpty();
				for (JsonNode target : panel.get("targets")) {
					assertThat(target.get("datasource").get("uid").asString()).isEqualTo("${DS_PROMETHEUS}");
					assertThat(target.get("expr").asString()).contains("database=~\"$database\"");
				}
			}
		}
	}

	/** Every PromQL expression of the dashboard: panel targets and template variables. */
	private static List<String> queries() throws Exception {
		JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
		List<String> queries = new ArrayList<>();
		collect(dashboard.get("panels"), queries);
		for (JsonNode variable : dashboard.get("templating").get("list")) {
			queries.add(variable.get("definition").asString());
		}
		return queries;
	}

	/**
	 * The lines of the guide's {@code promql} blocks and the expressions of its alert
	 * rules.
	 */
	private static List<String> guideQueries() throws Exception {
		List<String> queries = new ArrayList<>();
		boolean inPromql = false;
		for (String line : Files.readAllLines(GUIDE)) {
			if (line.startsWith("```")) {
				inPromql = line.equals("```promql");
			}
			else if (inPromql && !line.isBlank() && !line.startsWith("#")) {
				queries.add(line.trim());
			}
			else if (line.trim().startsWith("expr: ")) {
				queries.add(line.trim().substring("expr: ".length()));
			}
		}
		return queries;
	}

	private static void collect(JsonNode node, List<String> queries) {
		if (node.isObject()) {
			for (Map.Entry<String, JsonNode> field : node.properties()) {
				if (field.getKey().equals("expr")) {
					queries.add(field.getValue().asString());
				}
				else {
					collect(field.getValue(), queries);
				}
			}
		}
		else if (node.isArray()) {
			node.forEach((element) -> collect(element, queries));
		}
	}

	/**
	 * Checks one query against the scrape: every metric exists; every label it matches on
	 * exists on that metric (with the value, for an exact match of a literal); every
	 * label it groups or joins by exists on one of its metrics.
	 * @return the metric names the query uses
	 */
	private static Set<String> check(String query, List<String> problems) {
		String expression = query;
		List<String> labelsTaken = new ArrayList<>();
		Matcher labelValues = LABEL_VALUES.matcher(query);
		if (labelValues.matches()) {
			expression = labelValues.group(1);
			labelsTaken.add(labelValues.group(2));
		}
		Set<String> metrics = new LinkedHashSet<>();
		Matcher selector = SELECTOR.matcher(expression);
		while (selector.find()) {
			String metric = selector.group(1);
			Matcher matcher = MATCHER.matcher(selector.group(2));
			while (matcher.find()) {
				String label = matcher.group(1);
				String value = matcher.group(3);
				if (TARGET_LABELS.contains(label) || !scraped.containsKey(metric)) {
					continue;
				}
				boolean hasLabel = scraped.get(metric).stream().anyMatch((series) -> series.containsKey(label));
				if (!hasLabel) {
					problems.add("label '" + label + "' of " + metric + " in: " + query);
				}
				else if (matcher.group(2).equals("=") && !value.contains("$")
						&& scraped.get(metric).stream().noneMatch((series) -> value.equals(series.get(label)))) {
					problems.add(label + "=\"" + value + "\" of " + metric + " in: " + query);
				}
			}
		}
		String bare = expression.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
			.replaceAll("\\{[^}]*}", " ")
			.replaceAll("\\[[^\\]]*]", " ")
			.replaceAll("\\$[a-zA-Z_]+", " ");
		Matcher list = LABEL_LIST.matcher(bare);
		while (list.find()) {
			for (String label : list.group(2).split(",")) {
				if (!label.isBlank()) {
					labelsTaken.add(label.trim());
				}
			}
		}
		Matcher identifier = IDENTIFIER.matcher(LABEL_LIST.matcher(bare).replaceAll(" "));
		while (identifier.find()) {
			String name = identifier.group(1);
			if (!KEYWORDS.contains(name.toLowerCase(Locale.ROOT))) {
				metrics.add(name);
			}
		}
		if (metrics.isEmpty()) {
			problems.add("no metric in: " + query);
		}
		for (String metric : metrics) {
			if (!scraped.containsKey(metric)) {
				problems.add("metric " + metric + " in: " + query);
			}
		}
		for (String label : labelsTaken) {
			boolean onSomeMetric = TARGET_LABELS.contains(label) || metrics.stream()
				.filter(scraped::containsKey)
				.anyMatch((metric) -> scraped.get(metric).stream().anyMatch((series) -> series.containsKey(label)));
			if (!onSomeMetric) {
				problems.add("label '" + label + "' (grouped or joined by) in: " + query);
			}
		}
		return metrics;
	}

	/**
	 * Parses Prometheus text exposition: metric name to the label sets of its samples.
	 */
	private static Map<String, List<Map<String, String>>> parse(String scrape) {
		Map<String, List<Map<String, String>>> series = new HashMap<>();
		for (String line : scrape.split("\n")) {
			if (line.isBlank() || line.startsWith("#")) {
				continue;
			}
			Matcher sample = SAMPLE.matcher(line);
			assertThat(sample.matches()).as("a sample line: %s", line).isTrue();
			Map<String, String> labels = new LinkedHashMap<>();
			if (sample.group(3) != null) {
				Matcher label = SAMPLE_LABEL.matcher(sample.group(3));
				while (label.find()) {
					labels.put(label.group(1), label.group(2));
				}
			}
			series.computeIfAbsent(sample.group(1), (name) -> new ArrayList<>()).add(labels);
		}
		return series;
	}

}
