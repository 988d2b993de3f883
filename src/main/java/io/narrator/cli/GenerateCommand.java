package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.FlamingoModel;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator generate}: the model's continuation of a prompt about one or more clips. */
@Command(name = "generate", header = "Generate text about clips with the model.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generates text about clips: each --media CLIP (a video file, an image, or a folder of frames) is sampled at 1 FPS and stands for one <image> marker of the prompt. Beam search with the model's default beams unless told.",
        footer = {"", "Examples:",
                "  narrator generate --media clip.mp4",
                "  narrator generate --model runs/tiny/model --media a.mp4 --media b.mp4 \\",
                "      --prompt '<image>Output: a red circle moves left<|endofchunk|><image>Output:' --beams 5",
                "  narrator generate --media frame.png --top-p 0.9 --seed 7 --json"})
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOption model;

    @Option(names = "--media", required = true, paramLabel = "CLIP", description = "A video file, an image, or a folder of frames; repeat for several.")
    List<String> media;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT",
            description = "The prompt, one media marker (the model's media text, <image>) per CLIP (default: the model's zero-shot prompt: the markers, then its prompt prefix, 'Output:').")
    String prompt;

    @ArgGroup(exclusive = true)
    Decoding decoding;

    /** Beam search or nucleus sampling, not both. */
    static final class Decoding {
        @Option(names = "--beams", paramLabel = "N", description = "Beam search with N beams (1 = greedy).")
        Integer beams;

        @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling over the smallest set of tokens with probability P, in (0, 1].")
        Double topP;
    }

    @Option(names = "--max-tokens", paramLabel = "N", description = "At most N new tokens (default: the model's max_new_tokens).")
    Integer maxTokens;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of --top-p sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print text, token ids, per-token log-probabilities and the stop reason as JSON.")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ClipMedia.check(media);
        try (FlamingoModel m = model.load()) {
            String text = ClipMedia.prompt(m, prompt, media.size());
            DecodingOptions options = options(m);
            GenerationResult r = m.generate(List.of(new GenerationRequest(text, ClipMedia.encode(m, media), options))).get(0);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectNode n = new ObjectMapper().createObjectNode();
                n.put("prompt", text);
                n.put("text", r.text());
                var ids = n.putArray("tokenIds");
                for (long id : r.tokenIds()) ids.add(id);
                var lp = n.putArray("logProbs");
                for (float p : r.logProbs()) lp.add(p);
                n.put("totalLogProb", r.totalLogProb());
                n.put("stopReason", r.stopReason().name());
                out.println(n.toPrettyString());
            } else {
                out.println(r.text());
            }
        }
        return 0;
    }

    private DecodingOptions options(FlamingoModel m) {
        int max = maxTokens != null ? maxTokens : m.config().generation().maxNewTokens();
        if (max < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + max);
        if (decoding != null && decoding.topP != null) {
            if (!(decoding.topP > 0 && decoding.topP <= 1))
                throw new IllegalArgumentException(String.format(Locale.ROOT, "--top-p must be in (0, 1], got %s", decoding.topP));
            return DecodingOptions.topP(decoding.topP, seed, max);
        }
        int beams = decoding != null && decoding.beams != null ? decoding.beams : m.config().generation().numBeams();
        if (beams < 1 || beams > 64) throw new IllegalArgumentException("--beams must be in [1, 64], got " + beams);
        return beams == 1 ? DecodingOptions.greedy(max) : DecodingOptions.beam(beams, max);
    }
}
