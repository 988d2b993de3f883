package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.FlamingoModel;
import io.narrator.model.generate.ScoreRequest;
import io.narrator.model.generate.ScoreResult;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator score}: how likely the model finds a text after a prompt about clips, token by token. */
@Command(name = "score", header = "Score a text after clips: per-token log-probabilities.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Scores a text: the log-probability of each of its tokens after the prompt (one <image> per --media CLIP), and their sum — how the paper evaluates classification-style tasks (the likelier answer wins).",
        footer = {"", "Examples:",
                "  narrator score --media clip.mp4 --text 'a red circle moves left'",
                "  narrator score --model runs/tiny/model --media clip.mp4 --text 'two blue squares' --json"})
final class ScoreCommand implements Callable<Integer> {
    @Mixin ModelOption model;

    @Option(names = "--media", required = true, paramLabel = "CLIP", description = "A video file, an image, or a folder of frames; repeat for several.")
    List<String> media;

    @Option(names = {"-t", "--text"}, required = true, paramLabel = "TEXT", description = "The text to score.")
    String text;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT",
            description = "The prompt before the text, one media marker (the model's media text, <image>) per CLIP (default: the model's zero-shot prompt: the markers, then its prompt prefix, 'Output:').")
    String prompt;

    @Option(names = "--json", description = "Print tokens, ids, log-probabilities and the total as JSON.")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (text.isBlank()) throw new IllegalArgumentException("--text is empty: give the text to score");
        ClipMedia.check(media);
        try (FlamingoModel m = model.load()) {
            String before = ClipMedia.prompt(m, prompt, media.size());
            ScoreResult r = m.score(List.of(new ScoreRequest(before, ClipMedia.encode(m, media), m.continuation(before, text)))).get(0);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectNode n = new ObjectMapper().createObjectNode();
                n.put("prompt", before);
                n.put("text", text.strip());
                var tokens = n.putArray("tokens");
                for (int i = 0; i < r.tokenIds().length; i++)
                    tokens.addObject().put("id", r.tokenIds()[i]).put("token", r.tokens()[i]).put("logProb", r.logProbs()[i]);
                n.put("totalLogProb", r.totalLogProb());
                out.println(n.toPrettyString());
            } else {
                int width = 8;
                for (String t : r.tokens()) width = Math.max(width, t.length() + 2);
                out.printf("%-" + width + "s %10s%n", "token", "log-prob");
                for (int i = 0; i < r.tokens().length; i++) out.printf(java.util.Locale.ROOT, "%-" + width + "s %10.4f%n", r.tokens()[i], r.logProbs()[i]);
                out.printf(java.util.Locale.ROOT, "%-" + width + "s %10.4f  (%d tokens, mean %.4f)%n", "total", r.totalLogProb(), r.tokens().length,
                        r.tokens().length == 0 ? 0 : r.totalLogProb() / r.tokens().length);
            }
        }
        return 0;
    }
}
