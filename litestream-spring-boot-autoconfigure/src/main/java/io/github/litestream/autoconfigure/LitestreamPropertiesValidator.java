package io.github.litestream.autoconfigure;

import java.net.URI;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Function;

import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.ownership.LeaseConfig;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.env.Environment;

/**
 * Checks every duration, count and URL of {@link LitestreamProperties} before the engine
 * is configured, so that a bad value fails startup naming the exact property, with its
 * index ({@code litestream.replicas[1].sync-interval}), and the value as the application
 * gave it ({@code -1s}). Replica URLs with user info are refused without printing it.
 */
final class LitestreamPropertiesValidator {

	private static final String NAME_PATTERN = "[A-Za-z0-9._-]+";

	private final Function<String, @Nullable Object> givenValues;

	/**
	 * Creates a validator.
	 * @param givenValues the value of a property as the application gave it, or
	 * {@code null} when unknown
	 */
	LitestreamPropertiesValidator(Function<String, @Nullable Object> givenValues) {
		this.givenValues = givenValues;
	}

	/**
	 * Creates a validator that quotes values from the environment.
	 * @param environment the environment, or {@code null} to quote the bound values
	 * @return the validator
	 */
	static LitestreamPropertiesValidator of(@Nullable Environment environment) {
		if (environment == null) {
			return new LitestreamPropertiesValidator((name) -> null);
		}
		Iterable<ConfigurationPropertySource> sources = ConfigurationPropertySources.get(environment);
		return new LitestreamPropertiesValidator((name) -> {
			ConfigurationPropertyName key = ConfigurationPropertyName.of(name);
			for (ConfigurationPropertySource source : sources) {
				ConfigurationProperty property = source.getConfigurationProperty(key);
				if (property != null) {
					return property.getValue();
				}
			}
			return null;
		});
	}

	/**
	 * Validates the properties.
	 * @param properties the bound properties
	 * @throws LitestreamConfigurationException naming the first bad property
	 */
	void validate(LitestreamProperties properties) {
		positive("litestream.monitor-interval", properties.getMonitorInterval());
		positive("litestream.checkpoint-interval", properties.getCheckpointInterval());
		atLeast("litestream.min-checkpoint-page-count", properties.getMinCheckpointPageCount(), 1, "1");
		atLeast("litestream.truncate-page-count", properties.getTruncatePageCount(),
				properties.getMinCheckpointPageCount(),
				"litestream.min-checkpoint-page-count (" + properties.getMinCheckpointPageCount() + ")");
		positive("litestream.busy-timeout", properties.getBusyTimeout());
		notNegative("litestream.shutdown-sync-timeout", properties.getShutdownSyncTimeout());
		levels(properties.getLevels());
		notNegative("litestream.l0-retention", properties.getL0Retention());
		positive("litestream.snapshot.interval", properties.getSnapshot().getInterval());
		positive("litestream.snapshot.retention", properties.getSnapshot().getRetention());
		atLeast("litestream.restore.parallelism", properties.getRestore().getParallelism(), 1, "1");
		notNegative("litestream.restore.drain-timeout", properties.getRestore().getDrainTimeout());
		positive("litestream.health.max-lag", properties.getHealth().getMaxLag());
		lease(properties.getLease());
		List<LitestreamProperties.Replica> replicas = properties.getReplicas();
		for (int i = 0; i < replicas.size(); i++) {
			replica("litestream.replicas[" + i + "]", replicas.get(i));
		}
	}

	private void lease(LitestreamProperties.Lease lease) {
		Duration ttl = lease.getTtl();
		if (ttl == null || ttl.compareTo(LeaseConfig.MIN_TTL) < 0) {
			throw invalid("litestream.lease.ttl", ttl, "must be at least " + format(LeaseConfig.MIN_TTL),
					"Set litestream.lease.ttl to " + format(LeaseConfig.MIN_TTL) + " or more, such as '30s'.");
		}
		positive("litestream.lease.renew-interval", lease.getRenewInterval());
		if (lease.getRenewInterval().multipliedBy(3).compareTo(ttl) > 0) {
			throw invalid("litestream.lease.renew-interval", lease.getRenewInterval(),
					"must be at most a third of litestream.lease.ttl (" + format(ttl)
							+ "), so that a missed renewal is retried before the holder must stop writing",
					"Set litestream.lease.renew-interval to " + format(Duration.ofMillis(ttl.toMillis() / 3))
							+ " or less, or raise litestream.lease.ttl.");
		}
		positive("litestream.lease.startup-timeout", lease.getStartupTimeout());
	}

	private void levels(@Nullable List<Duration> levels) {
		int max = ReplicationDefaults.SNAPSHOT_LEVEL - 1;
		if (levels == null || levels.size() > max) {
			throw invalid("litestream.levels", levels, "at most " + max + " intervals (levels 1 to " + max + ")",
					"List at most " + max + " intervals in litestream.levels, such as '30s,5m,1h'.");
		}
		for (int i = 0; i < levels.size(); i++) {
			String property = "litestream.levels[" + i + "]";
			positive(property, levels.get(i));
			if (i > 0 && levels.get(i).compareTo(levels.get(i - 1)) < 0) {
				throw invalid(property, levels.get(i),
						"must not be shorter than litestream.levels[" + (i - 1) + "] (" + format(levels.get(i - 1))
								+ "): each level compacts the one below it",
						"List the intervals of litestream.levels from shortest to longest, such as '30s,5m,1h'.");
			}
		}
	}

	private void replica(String property, LitestreamProperties.Replica replica) {
		String name = replica.getName();
		if (name != null && !name.matches(NAME_PATTERN)) {
			throw invalid(property + ".name", name, "must contain only letters, digits, '.', '_' or '-'",
					"Set " + property + ".name to a name such as 's3' or 'backup-1'.");
		}
		noUserInfo(property + ".url", replica.getUrl());
		noUserInfo(property + ".endpoint", replica.getEndpoint());
		notNegative(property + ".sync-interval", replica.getSyncInterval());
	}

	/**
	 * Refuses credentials in a URL: {@code s3://AKIA...:secret@bucket/prefix} would
	 * otherwise be taken as a bucket named {@code AKIA...:secret@bucket}, and the secret
	 * would be printed with every message about that replica.
	 */
	private static void noUserInfo(String property, @Nullable URI url) {
		if (url == null || !hasUserInfo(url)) {
			return;
		}
		String masked = maskUserInfo(url.toString());
		throw new LitestreamConfigurationException(property, masked,
				"the URL carries credentials (user info before '@'), which would be logged with it",
				"Remove the credentials from " + property + " (it must look like '" + masked.replace("****@", "")
						+ "') and set them with spring.cloud.aws.credentials.access-key and "
						+ "spring.cloud.aws.credentials.secret-key, the replica's access-key-id and "
						+ "secret-access-key, or the AWS SDK's default credentials.");
	}

	static boolean hasUserInfo(URI url) {
		if (url.getRawUserInfo() != null) {
			return true;
		}
		// A secret with a '/' or another character that a server-based authority cannot
		// hold leaves the authority unparsed (or cut at the '/'); bucket names and hosts
		// never contain '@' or ':' without a numeric port.
		String authority = url.getRawAuthority();
		if (authority == null) {
			return url.getRawSchemeSpecificPart() != null && url.getRawSchemeSpecificPart().startsWith("//")
					&& url.toString().contains("@");
		}
		return authority.contains("@") || (url.getHost() == null && authority.contains(":"));
	}

	/**
	 * Replaces everything between {@code ://} and the last {@code @} with {@code ****}.
	 */
	static String maskUserInfo(String url) {
		int start = url.indexOf("://");
		if (start < 0) {
			return "****";
		}
		int from = start + 3;
		int at = url.lastIndexOf('@');
		if (at >= from) {
			return url.substring(0, from) + "****" + url.substring(at);
		}
		int slash = url.indexOf('/', from);
		return url.substring(0, from) + "****" + ((slash < 0) ? "" : url.substring(slash));
	}

	private void positive(String property, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw invalid(property, value, "must be positive",
					"Set " + property + " to a positive duration, such as '1s' or '500ms'.");
		}
	}

	private void notNegative(String property, @Nullable Duration value) {
		if (value == null || value.isNegative()) {
			throw invalid(property, value, "must be zero or positive",
					"Set " + property + " to zero or a positive duration, such as '0s' or '1s'.");
		}
	}

	private void atLeast(String property, int value, int minimum, String minimumText) {
		if (value < minimum) {
			throw invalid(property, value, "must be at least " + minimumText,
					"Set " + property + " to " + minimum + " or more.");
		}
	}

	private LitestreamConfigurationException invalid(String property, @Nullable Object value, String reason,
			String action) {
		Object given = this.givenValues.apply(property);
		Object quoted = (given != null) ? given : (value instanceof Duration duration) ? format(duration) : value;
		return new LitestreamConfigurationException(property, quoted, reason, action);
	}

	/**
	 * Formats a bound duration the way it is usually written ({@code -1s},
	 * {@code 500ms}), for values that were not found as given.
	 */
	static String format(Duration duration) {
		if (duration.toNanosPart() % 1_000_000 != 0) {
			return DurationStyle.SIMPLE.print(duration, ChronoUnit.NANOS);
		}
		long millis = duration.toMillis();
		return (millis % 1000 == 0) ? (millis / 1000) + "s" : millis + "ms";
	}

}
