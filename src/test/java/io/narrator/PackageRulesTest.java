package io.narrator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of Narrator's main code, as each package-info.java states them: the product packages ({@code
 * model}, {@code ingest}, {@code stream}, {@code web}) never use the tooling ({@code train}, {@code bench}) or the command line
 * ({@code cli}); the tooling may use the product, never the reverse; and packages do not depend on each other in
 * cycles.
 */
class PackageRulesTest {
    static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.narrator");
    }

    @Test
    void theProductNeverUsesTheToolingOrTheCommandLine() {
        noClasses().that().resideInAnyPackage("io.narrator.model..", "io.narrator.ingest..", "io.narrator.stream..", "io.narrator.web..")
                .should().dependOnClassesThat().resideInAnyPackage("io.narrator.train..", "io.narrator.bench..", "io.narrator.cli..")
                .because("model, ingest, stream and the web page are the product; training, benchmarks and the CLI are built on them")
                .check(main);
    }

    @Test
    void theModelUsesNoOtherPartOfNarrator() {
        noClasses().that().resideInAPackage("io.narrator.model..")
                .should().dependOnClassesThat().resideInAnyPackage("io.narrator.ingest..", "io.narrator.stream..", "io.narrator.avro..")
                .because("the model knows nothing of video sources or Kafka: stream adapts it (FlamingoNarration)")
                .check(main);
    }

    @Test
    void ingestAndTheWorldStandAlone() {
        noClasses().that().resideInAPackage("io.narrator.ingest..")
                .should().dependOnClassesThat().resideInAnyPackage("io.narrator.model..", "io.narrator.stream..", "io.narrator.avro..")
                .because("ingest reads video and hands it to a sink; the Kafka sink lives in stream")
                .check(main);
        noClasses().that().resideInAPackage("io.narrator.train.world..")
                .should().dependOnClassesThat().resideInAnyPackage("io.narrator.model..", "io.narrator.train", "io.narrator.train.data..",
                        "io.narrator.train.eval..")
                .because("the synthetic world is data: scenes, frames, captions")
                .check(main);
    }

    @Test
    void theToolingNeverUsesTheCommandLineAndNeverEachOther() {
        noClasses().that().resideInAnyPackage("io.narrator.train..", "io.narrator.bench..")
                .should().dependOnClassesThat().resideInAPackage("io.narrator.cli..")
                .because("only cli prints for people or exits; the tooling returns results")
                .check(main);
        noClasses().that().resideInAPackage("io.narrator.train..")
                .should().dependOnClassesThat().resideInAnyPackage("io.narrator.bench..", "io.narrator.stream..")
                .check(main);
    }

    @Test
    void topLevelPackagesHaveNoCycles() {
        slices().matching("io.narrator.(*)..").should().beFreeOfCycles().check(main);
    }

    @Test
    void trainingPackagesHaveNoCycles() {
        slices().assignedFrom(eachPackageUnder("io.narrator.train")).should().beFreeOfCycles()
                .because("the stages use data, eval and the world, which never reach back into the stages")
                .check(main);
    }

    /** One slice per package under {@code root}, the root included; classes elsewhere belong to none. */
    static SliceAssignment eachPackageUnder(String root) {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                String p = javaClass.getPackageName();
                return p.equals(root) || p.startsWith(root + ".") ? SliceIdentifier.of(p) : SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "each package under " + root;
            }
        };
    }

    @Test
    void modelSubpackagesHaveNoCycles() {
        slices().matching("io.narrator.model.(*)..").should().beFreeOfCycles()
                .because("the blocks depend on the model's configuration and on each other in one direction; the model package assembles them")
                .check(main);
    }
}
