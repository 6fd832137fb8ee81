package io.github.litestream;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

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
					"io.github.litestream.core..", "io.github.litestream.restore..", "io.github.litestream.replica..",
					"io.github.litestream.replication..", "io.github.litestream.ownership..",
					"io.github.litestream.storage..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage("org.springframework..", "io.micrometer..")
			.because("the engine must stay usable without Spring (DESIGN section 2)")
			.check(CLASSES);
	}

	@Test
	void ownershipDependsOnNeitherTheEngineNorTheApplication() {
		noClasses().that()
			.resideInAPackage("io.github.litestream.ownership..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage("io.github.litestream.core..", "io.github.litestream.restore..",
					"io.github.litestream.replica..", "io.github.litestream.replication..",
					"io.github.litestream.jdbc..", "io.github.litestream.autoconfigure..",
					"io.github.litestream.actuate..", "io.github.litestream.metrics..")
			.because("the DataSource gate, the engine, health and the meters all read the one ownership state "
					+ "machine of a database (DESIGN 4.14), so it may use only storage and ltx")
			.check(CLASSES);
	}

	@Test
	void theSharedVocabularyDependsOnNoOtherEnginePackage() {
		noClasses().that()
			.resideInAPackage("io.github.litestream.core..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage("io.github.litestream.restore..", "io.github.litestream.replica..",
					"io.github.litestream.replication..")
			.because("core holds the configuration, the listener SPI and the defaults that every engine package "
					+ "shares (its package-info)")
			.check(CLASSES);
	}

	@Test
	void restoreKnowsNothingOfUploadsOrTheRunningEngine() {
		noClasses().that()
			.resideInAPackage("io.github.litestream.restore..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage("io.github.litestream.replica..", "io.github.litestream.replication..",
					"io.github.litestream.ownership..")
			.because("a restore reads a replica and writes a new file; planning and applying it must not depend on "
					+ "who writes the replica (restore's package-info)")
			.check(CLASSES);
	}

	@Test
	void aReplicaSeesItsEngineOnlyThroughTheLocalHistory() {
		noClasses().that()
			.resideInAPackage("io.github.litestream.replica..")
			.should()
			.dependOnClassesThat()
			.resideInAPackage("io.github.litestream.replication..")
			.because("uploads and compaction of one replica depend on the engine's local history, not on the "
					+ "Replicator (replica's package-info)")
			.check(CLASSES);
	}

	@Test
	void theEnginePackagesFormNoCycle() {
		JavaClasses engine = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
			.importPackages("io.github.litestream.wal", "io.github.litestream.ltx", "io.github.litestream.storage",
					"io.github.litestream.ownership", "io.github.litestream.core", "io.github.litestream.restore",
					"io.github.litestream.replica", "io.github.litestream.replication");
		slices().matching("io.github.litestream.(*)..").should().beFreeOfCycles().check(engine);
	}

}
