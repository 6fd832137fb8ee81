package io.github.litestream.actuate;

import java.math.BigInteger;
import java.util.List;

import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.OperationType;
import org.springframework.boot.actuate.endpoint.invoke.OperationInvoker;
import org.springframework.boot.actuate.endpoint.invoke.OperationInvokerAdvisor;
import org.springframework.boot.actuate.endpoint.invoke.OperationParameters;

/**
 * Rejects write requests to the {@code litestream} endpoint that carry keys the operation
 * does not take ({@code {"foo":1}}, a misspelt {@code "timestmap"}): the actuator would
 * otherwise ignore them and, for {@code restore}, restore the latest state instead of the
 * one meant. Also rejects a {@code txid} that is not a string or a whole number, and a
 * {@code timestamp} that is not a string, before the actuator's conversion turns them
 * into text. Answers 400 with a problem details body naming the keys, or the key and the
 * value.
 */
public final class LitestreamEndpointRequestAdvisor implements OperationInvokerAdvisor {

	private static final EndpointId ENDPOINT = EndpointId.of("litestream");

	@Override
	public OperationInvoker apply(EndpointId endpointId, OperationType operationType, OperationParameters parameters,
			OperationInvoker invoker) {
		if (!ENDPOINT.equals(endpointId) || operationType != OperationType.WRITE) {
			return invoker;
		}
		return (context) -> {
			List<String> unknown = context.getArguments()
				.keySet()
				.stream()
				.filter((key) -> !LitestreamEndpoint.KEYS.contains(key))
				.sorted()
				.toList();
			if (!unknown.isEmpty()) {
				return LitestreamEndpoint.unknownKeys(unknown);
			}
			Object txid = context.getArguments().get("txid");
			if (txid != null && !(txid instanceof String) && !isIntegral(txid)) {
				return LitestreamEndpoint
					.invalidTarget("'txid' must be a positive decimal number or 16 hex digits, was " + txid);
			}
			Object timestamp = context.getArguments().get("timestamp");
			if (timestamp != null && !(timestamp instanceof String)) {
				return LitestreamEndpoint.invalidTarget("'timestamp' must be an ISO-8601 instant, was " + timestamp);
			}
			return invoker.invoke(context);
		};
	}

	/**
	 * Whether a JSON value is a whole number, which the endpoint reads as a decimal TXID.
	 * Any other non-string value (a boolean, a fraction, an array, an object) is no TXID;
	 * answering here names the key and the value, where the actuator's argument
	 * conversion would name neither.
	 */
	private static boolean isIntegral(Object value) {
		return value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
				|| value instanceof BigInteger;
	}

}
