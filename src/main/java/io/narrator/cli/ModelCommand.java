package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code narrator model}: commands about model directories. */
@Command(name = "model", header = "Inspect a model directory.",
        mixinStandardHelpOptions = true, description = "Looks into a model directory.",
        subcommands = {ModelCommand.Inspect.class})
final class ModelCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code narrator model inspect}: configuration, parameter counts per part and gate values. */
    @Command(name = "inspect", header = "Print a model's configuration, parameter counts and gate values.",
            mixinStandardHelpOptions = true,
            description = "Prints a model's configuration, its parameter counts per part (vision, perceiver, lm, cross_attention, special_tokens) and the tanh of each gated cross-attention layer's gates (0 = the layer does nothing yet).",
            footer = {"", "Examples:", "  narrator model inspect bundled", "  narrator model inspect runs/tiny/model --json"})
    static final class Inspect implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", defaultValue = "bundled",
                description = "Model directory, or 'bundled' (default).")
        String dir;

        @Option(names = "--json", description = "Print everything as one JSON object.")
        boolean json;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ModelOption option = new ModelOption();
            option.model = dir;
            try (FlamingoModel m = option.load()) {
                FlamingoConfig config = m.config();
                Map<String, Long> counts = m.block().parameterCounts();
                long total = counts.values().stream().mapToLong(Long::longValue).sum();
                List<Integer> layers = new ArrayList<>();
                for (int l = 0; l < config.text().layers(); l++) if (config.hasCrossAttentionBefore(l)) layers.add(l);
                List<float[]> gates = m.block().crossAttentionLayers().stream().map(x -> x.gateValues()).toList();
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    ObjectNode n = JSON.createObjectNode();
                    n.put("location", dir);
                    n.set("config", JSON.valueToTree(config));
                    ObjectNode params = n.putObject("parameters");
                    counts.forEach(params::put);
                    params.put("total", total);
                    var g = n.putArray("gates");
                    for (int i = 0; i < gates.size(); i++)
                        g.addObject().put("layer", i).put("beforeLmLayer", layers.get(i)).put("tanhAttnGate", gates.get(i)[0]).put("tanhFfGate", gates.get(i)[1]);
                    out.println(JSON.writeValueAsString(n));
                    return 0;
                }
                out.printf("%s %s (%s) from %s%n", config.name(), config.version(), config.modelType(), dir);
                FlamingoConfig.Vision v = config.vision();
                FlamingoConfig.Text t = config.text();
                FlamingoConfig.Perceiver p = config.perceiver();
                String stem = v.convStemChannels().length == 0 ? ""
                        : ", conv stem " + Arrays.stream(v.convStemChannels()).mapToObj(Integer::toString)
                                .collect(Collectors.joining("→", "3→", ""));
                out.printf(Locale.ROOT, "vision      ViT %dx%d (%s), patch %d (%d patches)%s, width %d, %d layers, %d heads%n",
                        v.imageSize(), v.imageSize(), v.resizeMode(), v.patchSize(), v.patches(), stem, v.hiddenSize(), v.layers(), v.heads());
                out.printf(Locale.ROOT, "perceiver   %d latents, depth %d, %d heads x %d, up to %d frames%n",
                        p.latents(), p.depth(), p.heads(), p.dimHead(), p.maxFrames());
                out.printf(Locale.ROOT, "lm          GPT-2, vocabulary %d, %d positions, width %d, %d layers, %d heads%n",
                        t.vocabSize(), t.positions(), t.width(), t.layers(), t.heads());
                out.printf(Locale.ROOT, "xattn       before every %d LM layer(s), %d heads x %d, only immediate media: %s%n",
                        config.crossAttention().everyNLayers(), config.crossAttention().heads(), config.crossAttention().dimHead(),
                        config.crossAttention().onlyAttendImmediateMedia());
                out.printf(Locale.ROOT, "generation  %d beams, up to %d tokens, prompt '%s'%n",
                        config.generation().numBeams(), config.generation().maxNewTokens(), config.generation().promptPrefix());
                out.println();
                out.println("parameters");
                counts.forEach((part, n) -> out.printf(Locale.ROOT, "  %-16s %,12d%n", part, n));
                out.printf(Locale.ROOT, "  %-16s %,12d%n", "total", total);
                out.println();
                out.println("gates (tanh)      attn        ff");
                for (int i = 0; i < gates.size(); i++)
                    out.printf(Locale.ROOT, "  xattn %d (LM %d) %9.4f %9.4f%n", i, layers.get(i), gates.get(i)[0], gates.get(i)[1]);
            }
            return 0;
        }
    }
}
