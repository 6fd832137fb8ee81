package io.github.litestream.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * A {@code litestream.*} setting (or the JDBC URL a database path is derived from) that
 * replication cannot work with. Reported at startup with the property and the fix.
 */
public class LitestreamConfigurationException extends RuntimeException {

	private final String property;

	private final @Nullable Object value;

	private final String action;

	/**
	 * Creates an exception.
	 * @param property the property to change
	 * @param value the bad value
	 * @param reason why the value does not work
	 * @param action what to do
	 */
	public LitestreamConfigurationException(String property, @Nullable Object value, String reason, String action) {
		this(property, value, reason, action, null);
	}

	/**
	 * Creates an exception with a cause.
	 * @param property the property to change
	 * @param value the bad value
	 * @param reason why the value does not work
	 * @param action what to do
	 * @param cause the cause
	 */
	public LitestreamConfigurationException(String property, @Nullable Object value, String reason, String action,
			@Nullable Throwable cause) {
		super("Property '" + property + "' with value '" + value + "' is invalid: " + reason, cause);
		this.property = property;
		this.value = value;
		this.action = action;
	}

	/**
	 * Returns the property to change.
	 * @return the property name
	 */
	public String getProperty() {
		return this.property;
	}

	/**
	 * Returns the bad value.
	 * @return the value
	 */
	public @Nullable Object getValue() {
		return this.value;
	}

	/**
	 * Returns what to do.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
