package io.github.litestream.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a bad {@code litestream.*} setting with the property and the fix.
 */
class LitestreamConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<LitestreamConfigurationException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, LitestreamConfigurationException cause) {
		return new FailureAnalysis(
				StartupRestoreFailureAnalyzer.sentence("Litestream replication cannot start: " + cause.getMessage()),
				cause.getAction(), cause);
	}

}
