package io.github.litestream;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Keeps the replication engine free of Spring and Micrometer so it can ship as its own
 * jar.
 */
class EngineArchitectureTests {

	private static final JavaClasses CLASSES = new ClassFileImporter()
		.withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
		.importPackages("io.github.litestream");

	@Test
	void enginePackagesDoNotDependOnSpringOrMicrometer() {
		noClasses().that()
			.resideInAnyPackage("io.github.litestream.wal..", "io.github.litestream.ltx..",
					"io.github.litestream.core..", "io.github.litestream.storage..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage("org.springframework..", "io.micrometer..")
			.because("the engine must stay usable without Spring (DESIGN section 2)")
			.check(CLASSES);
	}

}
