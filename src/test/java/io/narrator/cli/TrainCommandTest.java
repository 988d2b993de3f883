package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.train.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCommandTest {

    @TempDir
    Path dir;

    @Test
    void aStageTrainedOnItsOwnTakesTheRecipesSteps() {
        for (String stage : new String[] {"lm", "vision", "flamingo", "all"}) {
            TrainCommand command = new TrainCommand();
            new CommandLine(command).parseArgs(stage, "--out", dir.toString());
            assertThat(command.plan()).as(stage).isEqualTo(Recipe.Plan.DEFAULT);
        }
    }

    @Test
    void stepsApplyToEveryStage() {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs("vision", "--out", dir.toString(), "--steps", "40");
        assertThat(command.plan()).isEqualTo(new Recipe.Plan(40, 40, 40, 40));
    }

    @Test
    void replicasApplyToTheVisionStageAndStageThree() {
        assertThat(Recipe.Plan.DEFAULT.visionSettings().replicas()).isEqualTo(2);
        assertThat(Recipe.Plan.DEFAULT.flamingoSettings().replicas()).isEqualTo(2);
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs("all", "--out", dir.toString(), "--replicas", "1");
        Recipe.Plan plan = command.plan();
        assertThat(plan).isEqualTo(Recipe.Plan.DEFAULT.withReplicas(1));
        assertThat(plan.visionSettings().replicas()).isEqualTo(1);
        assertThat(plan.flamingoSettings().replicas()).isEqualTo(1);

        Path out = dir.resolve("run");
        Cli.Result result = Cli.run("train", "vision", "--out", out.toString(), "--replicas", "0");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).contains("--replicas must be at least 1, got 0");
        assertThat(Files.exists(out)).isFalse();
    }

    @Test
    void stepsBelowOneAreRefusedBeforeAnythingIsWritten() {
        Path out = dir.resolve("run");
        Cli.Result result = Cli.run("train", "lm", "--out", out.toString(), "--steps", "0");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).contains("--steps must be at least 1, got 0");
        assertThat(Files.exists(out)).isFalse();
    }

    @Test
    void anUnknownStageIsNamed() {
        Cli.Result result = Cli.run("train", "clip", "--out", dir.resolve("run").toString());
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).contains("unknown stage 'clip': expected lm, vision, flamingo or all");
    }
}
