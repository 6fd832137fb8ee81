package io.github.litestream.actuate;

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
 * one meant. Answers 400 with a problem details body naming the keys.
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
			return unknown.isEmpty() ? invoker.invoke(context) : LitestreamEndpoint.unknownKeys(unknown);
		};
	}

}
