package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.train.eval.FeatureProbe;
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
@Command(name = "model", header = "Inspect a model directory or probe its vision features.",
        mixinStandardHelpOptions = true, description = "Looks into a model directory.",
        subcommands = {ModelCommand.Inspect.class, ModelCommand.Probe.class})
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

        @picocli.CommandLine.Mixin DeviceOption devices;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ModelOption option = new ModelOption();
            option.model = dir;
            option.devices = devices;
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
                out.printf(Locale.ROOT, "lm          %s, vocabulary %d, %d positions, width %d, %d layers, %d heads%n",
                        t instanceof FlamingoConfig.Opt ? "OPT" : "GPT-2", t.vocabSize(), t.positions(), t.width(), t.layers(), t.heads());
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

    /** {@code narrator model probe}: linear probes of shape, colour and count on the frozen vision features. */
    @Command(name = "probe", header = "Measure what a model's vision encoder has learnt: linear probes of shape, colour and count.",
            mixinStandardHelpOptions = true,
            description = {"Renders frames of the synthetic world (as the vision stage draws them, from a seed no training stage uses), "
                    + "encodes them with the model's frozen vision encoder and fits a linear classifier (softmax regression) for the "
                    + "shape, the colour and the number of objects on each of four poolings of the last layer's tokens: the class token, "
                    + "the mean and the max of the patch tokens, and the patch under the first object. Prints the accuracy on held-out "
                    + "frames, beside what always answering the commonest class scores, and how well a patch token tells its own "
                    + "column (what motion direction is read from).",
                    "What a probe cannot read, the Perceiver Resampler is unlikely to read either: the caption then cannot name it."},
            footer = {"", "Examples:", "  narrator model probe bundled", "  narrator model probe bundled --scenes small",
                    "  narrator model probe runs/tiny/vision/model --frames 1024 --held-out 512 --json"})
    static final class Probe implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", defaultValue = "bundled",
                description = "Model directory (a stage's model works too), or 'bundled' (default).")
        String dir;

        @Option(names = "--frames", paramLabel = "N", defaultValue = "4096", description = "Frames the probes are fitted on (default: ${DEFAULT-VALUE}).")
        int frames;

        @Option(names = "--held-out", paramLabel = "N", defaultValue = "1024", description = "Frames the probes are scored on (default: ${DEFAULT-VALUE}).")
        int heldOut;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "77", description = "Seed of the frames (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--scenes", paramLabel = "PART", defaultValue = "all",
                description = "Which scenes the frames show: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). 'easy' is one large "
                        + "still object on a plain background, what half of every vision-stage batch is; the others fix one attribute "
                        + "of the scene (object size, background, one object), to see where an attribute is lost.",
                converter = ScenesConverter.class, completionCandidates = ScenesCandidates.class)
        FeatureProbe.Scenes scenes;

        @Option(names = "--json", description = "Print the accuracies as one JSON object.")
        boolean json;

        @Spec CommandSpec spec;

        /** {@code small}, {@code textured}, …: the enum's names in lower case. */
        static final class ScenesConverter implements picocli.CommandLine.ITypeConverter<FeatureProbe.Scenes> {
            @Override
            public FeatureProbe.Scenes convert(String value) {
                for (FeatureProbe.Scenes s : FeatureProbe.Scenes.values())
                    if (s.name().equalsIgnoreCase(value)) return s;
                throw new picocli.CommandLine.TypeConversionException("unknown scenes '" + value + "': expected one of "
                        + String.join(", ", new ScenesCandidates()));
            }
        }

        static final class ScenesCandidates implements Iterable<String> {
            @Override
            public java.util.Iterator<String> iterator() {
                return java.util.Arrays.stream(FeatureProbe.Scenes.values()).map(s -> s.name().toLowerCase(Locale.ROOT)).iterator();
            }
        }

        @picocli.CommandLine.Mixin DeviceOption devices;

        @Override
        public Integer call() throws Exception {
            FeatureProbe.Settings settings = new FeatureProbe.Settings(frames, heldOut, seed, scenes);
            ModelOption option = new ModelOption();
            option.model = dir;
            option.devices = devices;
            try (FlamingoModel m = option.load()) {
                PrintWriter err = spec.commandLine().getErr();
                int total = frames + heldOut;
                FeatureProbe.Report r = FeatureProbe.run(m, settings, done -> {
                    if (done % 1024 < 64 || done == total) {
                        err.printf(Locale.ROOT, "encoded %d of %d frames%n", done, total);
                        err.flush();
                    }
                });
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    ObjectNode n = JSON.createObjectNode();
                    n.put("model", r.model()).put("location", dir).put("frames", frames).put("heldOut", heldOut).put("seed", seed)
                            .put("scenes", scenes.name().toLowerCase(Locale.ROOT));
                    ObjectNode acc = n.putObject("accuracy");
                    for (FeatureProbe.Attribute a : FeatureProbe.Attribute.values()) {
                        ObjectNode row = acc.putObject(a.label());
                        for (FeatureProbe.Pooling p : FeatureProbe.Pooling.values()) row.put(p.label(), r.accuracy(a, p));
                    }
                    ObjectNode maj = n.putObject("majority");
                    r.majority().forEach((a, share) -> maj.put(a.label(), share));
                    n.putObject("patchColumn").put("accuracy", r.patchColumn()).put("columns", r.columns());
                    n.put("seconds", r.seconds());
                    out.println(JSON.writeValueAsString(n));
                    return 0;
                }
                out.printf(Locale.ROOT, "%s from %s: linear probes on the frozen vision features%n", r.model(), dir);
                out.printf(Locale.ROOT, "%d frames to fit, %d held out (seed %d), of %s, %.0f s%n%n", frames, heldOut, seed,
                        scenes.label(), r.seconds());
                out.printf(Locale.ROOT, "%-30s", "");
                for (FeatureProbe.Attribute a : FeatureProbe.Attribute.values()) out.printf(Locale.ROOT, "%8s", a.label());
                out.println();
                for (FeatureProbe.Pooling p : FeatureProbe.Pooling.values()) {
                    out.printf(Locale.ROOT, "%-30s", p.label());
                    for (FeatureProbe.Attribute a : FeatureProbe.Attribute.values()) out.printf(Locale.ROOT, "%7.1f%%", 100 * r.accuracy(a, p));
                    out.println();
                }
                out.printf(Locale.ROOT, "%-30s", "commonest class (chance)");
                for (FeatureProbe.Attribute a : FeatureProbe.Attribute.values()) out.printf(Locale.ROOT, "%7.1f%%", 100 * r.majority().get(a));
                out.println();
                out.println();
                out.printf(Locale.ROOT, "a patch token's own column, read from the token: %.1f%% (%d columns, chance %.1f%%)%n",
                        100 * r.patchColumn(), r.columns(), 100.0 / r.columns());
            }
            return 0;
        }
    }
}
