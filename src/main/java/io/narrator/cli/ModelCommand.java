package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.family.CheckpointFamilies;
import io.narrator.model.family.CheckpointFamily;
import io.narrator.model.family.ImportSources;
import io.narrator.model.family.ModelImport;
import io.narrator.train.eval.FeatureProbe;
import java.io.PrintWriter;
import java.nio.file.Path;
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
@Command(name = "model", header = "Import a released checkpoint, inspect a model directory or probe its vision features.",
        mixinStandardHelpOptions = true, description = "Makes and looks into model directories.",
        subcommands = {ModelCommand.Import.class, ModelCommand.Inspect.class, ModelCommand.Probe.class})
final class ModelCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code narrator model import}: a released checkpoint through its family into a Narrator model directory. */
    @Command(name = "import", header = "Turn a released Flamingo checkpoint into a Narrator model directory.",
            mixinStandardHelpOptions = true,
            description = {"Reads a release in its own layout through its checkpoint family: translates its config files into a "
                    + "config.json, builds tokenizer.json, maps every tensor to Narrator's names and checks its shape against the model "
                    + "the config describes (every missing, unexpected or misshapen tensor is listed at once), then streams the tensors "
                    + "into OUT/model.safetensors a chunk at a time, with a progress bar. Nothing in the released files is executed: "
                    + "pickles are read through an allowlist of the globals a state dict uses.",
                    "",
                    "flamingo-mini (alias flamingo-tiny): dhansmair/flamingo-mini (OPT-350m) and dhansmair/flamingo-tiny (OPT-125m). DIR holds "
                            + "the release's config.json and pytorch_model.bin; --lm the OPT repo (config.json, vocab.json, merges.txt: the "
                            + "tokenizer unless --tokenizer); --vision the CLIP repo (config.json, preprocessor_config.json, and "
                            + "model.safetensors or pytorch_model.bin: the released files lack the vision tower; a save that holds it as "
                            + "flamingo.vision_encoder.* needs only the two JSON files). <EOC> is added to the tokenizer at its size. The "
                            + "model is prompted as <image>{caption}<EOC> per example, then <image>, after the BOS token.",
                    "",
                    "openflamingo (alias open-flamingo): OpenFlamingo 3B (openflamingo/OpenFlamingo-3B-vitl-mpt1b, on "
                            + "anas-awadalla/mpt-1b-redpajama-200b), 4B (OpenFlamingo-4B-vitl-rpj3b, on togethercomputer/RedPajama-INCITE-Base-3B-v1) "
                            + "and 9B (OpenFlamingo-9B-vitl-mpt7b, on anas-awadalla/mpt-7b). No DIR: --checkpoint the release's checkpoint.pt (or a "
                            + "training checkpoint); --lm the language model's repo (config.json, weights in one file or shards, tokenizer); "
                            + "--vision open_clip's ViT-L-14 (open_clip_pytorch_model.bin or open_clip_model.safetensors of "
                            + "timm/vit_large_patch14_clip_224.openai, or that folder). <|endofchunk|>, <image> and <PAD> are added to the tokenizer, "
                            + "the embeddings resized to its length (the checkpoint's trained rows), the cross-attention interval read from the "
                            + "checkpoint; heads are OpenFlamingo's 8 unless --perceiver-heads/--xattn-heads say otherwise. The model is prompted as "
                            + "OpenFlamingo's evaluation prompts it, <image>Output:{caption}<|endofchunk|> and a newline per example, then "
                            + "<image>Output:, without BOS; a clip is read as its latest frame (OpenFlamingo's training condition) unless "
                            + "--frames-per-media says otherwise. The vision features are the patch tokens before ln_post, as OpenFlamingo "
                            + "was trained (--vision-features). OpenAI's TorchScript ViT-L-14.pt is not read: give open_clip's state dict.",
                    "",
                    "narrator: a Narrator model directory, written again (e.g. as f16, or as one file from shards)."},
            footer = {"", "Examples:",
                    "  narrator model import flamingo-mini flamingo-mini/ --lm opt-350m/ \\",
                    "      --vision clip-vit-large-patch14/ --out models/flamingo-mini",
                    "  narrator model import flamingo-tiny flamingo-tiny/ --lm opt-125m/ \\",
                    "      --vision clip-vit-large-patch14/ --out models/flamingo-tiny --precision f16",
                    "  narrator model import openflamingo --checkpoint OpenFlamingo-3B-vitl-mpt1b/checkpoint.pt \\",
                    "      --lm mpt-1b-redpajama-200b/ --vision vit_large_patch14_clip_224.openai/ --out models/openflamingo-3b",
                    "  narrator caption clip.mp4 --model models/flamingo-mini"})
    static final class Import implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FAMILY",
                description = "The release's checkpoint family: flamingo-mini (alias flamingo-tiny), openflamingo (alias open-flamingo) or narrator.")
        String family;

        @Parameters(index = "1", arity = "0..1", paramLabel = "DIR",
                description = "The release's folder (flamingo-mini: config.json and pytorch_model.bin; narrator: a model directory). "
                        + "openflamingo takes --checkpoint instead.")
        Path release;

        @Option(names = "--checkpoint", paramLabel = "FILE",
                description = "openflamingo: the release's checkpoint.pt (a bare state dict; a training checkpoint's model_state_dict with "
                        + "module. prefixes is read too).")
        Path checkpoint;

        @Option(names = "--lm", paramLabel = "LM_DIR",
                description = "The language model's repo folder (flamingo-mini: the OPT its config.json names as \"lm\"; openflamingo: "
                        + "MosaicGPT-1B, RedPajama-INCITE-3B or MPT-7B, with config.json, weights and tokenizer).")
        Path lm;

        @Option(names = "--vision", paramLabel = "PATH",
                description = "The vision model (flamingo-mini: the CLIP repo folder its config.json names as \"clip_model_type\", always with "
                        + "config.json and preprocessor_config.json, .bin or safetensors weights too unless DIR holds the vision tower; "
                        + "openflamingo: open_clip's ViT-L-14 weights file, .bin or .safetensors, or the folder holding it).")
        Path vision;

        @Option(names = "--tokenizer", paramLabel = "DIR|FILE",
                description = "A tokenizer.json, or a folder with tokenizer.json or vocab.json + merges.txt (default: the --lm folder); "
                        + "the family's tokens (<EOC>; <|endofchunk|>, <image>, <PAD>) are added where they are missing.")
        Path tokenizer;

        @Option(names = "--out", required = true, paramLabel = "OUT", description = "The model directory to write (new or empty).")
        Path out;

        @Option(names = "--precision", paramLabel = "f32|f16|bf16", defaultValue = "f32", converter = PrecisionConverter.class,
                description = "Float type of the written weights (default: ${DEFAULT-VALUE}). f16 and bf16 halve the file: f16 rounds to "
                        + "half precision (5 exponent bits: values beyond 65504 overflow), bf16 keeps float32's range with 8 mantissa bits and "
                        + "copies bfloat16 weights bit for bit. The model still loads and computes in f32 or f16 (--dtype): DJL 0.36's PyTorch "
                        + "engine has no bfloat16 arrays, so bf16 weights are widened as they are read.")
        SafeTensors.Precision precision;

        @Option(names = "--frames-per-media", paramLabel = "N",
                description = "Frames of a clip the model reads per media item, the latest N evenly spaced (0: every frame). Both families "
                        + "default to 1, their training condition: flamingo-mini was trained on single images (only time_pos_emb[0] was "
                        + "trained); OpenFlamingo on one frame per media, its resampler without temporal embeddings (with 0, a clip's frames are "
                        + "read together as one set of patch tokens, the paper's video path).")
        Integer framesPerMedia;

        @Option(names = "--perceiver-heads", paramLabel = "N",
                description = "openflamingo: the resampler's heads (default: OpenFlamingo's 8; the head width follows from the weights).")
        Integer perceiverHeads;

        @Option(names = "--xattn-heads", paramLabel = "N",
                description = "openflamingo: the cross-attention's heads (default: OpenFlamingo's 8; the head width follows from the weights).")
        Integer crossAttentionHeads;

        @Option(names = "--vision-features", paramLabel = "NAME",
                description = "openflamingo: which tokens of the ViT are a frame's features: patches_before_post_layernorm (default: the patch "
                        + "tokens before ln_post, as open_clip 2.16-2.22 gave them to OpenFlamingo's training) or patches (after ln_post, open_clip "
                        + "2.23 and later).")
        String visionFeatures;

        @Option(names = "--name", paramLabel = "NAME", description = "The model's name in its config.json (default: FAMILY as given).")
        String name;

        @Spec CommandSpec spec;

        /** {@code f32}, {@code f16} or {@code bf16}. */
        static final class PrecisionConverter implements picocli.CommandLine.ITypeConverter<SafeTensors.Precision> {
            @Override
            public SafeTensors.Precision convert(String value) {
                for (SafeTensors.Precision p : SafeTensors.Precision.values())
                    if (p.name().equalsIgnoreCase(value)) return p;
                if (value.equalsIgnoreCase("bfloat16")) return SafeTensors.Precision.BF16;
                throw new picocli.CommandLine.TypeConversionException("unknown precision '" + value + "': expected f32, f16 or bf16");
            }
        }

        @Override
        public Integer call() throws Exception {
            CheckpointFamily f = CheckpointFamilies.of(family);
            String modelName = name != null ? name : f.name().equals("narrator") ? null : family;
            ImportSources sources = new ImportSources(release, checkpoint, lm, vision, tokenizer, framesPerMedia, modelName, perceiverHeads,
                    crossAttentionHeads, visionFeatures);
            PrintWriter err = spec.commandLine().getErr();
            ModelImport.Result r;
            try (ImportProgressBar bar = new ImportProgressBar(err, "import " + family)) {
                r = ModelImport.run(f, sources, out, precision, bar);
                bar.finish();
            }
            PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "imported %s (%s family) into %s: %d tensors, %,d bytes of %s weights%n", r.config().name(), f.name(), r.dir(),
                    r.tensors(), r.weightBytes(), precision.name().toLowerCase(Locale.ROOT));
            for (String note : r.notes()) o.println("  " + note);
            o.println("run it with --model " + r.dir() + " (caption, run, demo, generate, score, bench)");
            return 0;
        }
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
                if (config.source() != null)
                    out.printf(Locale.ROOT, "source      imported from the %s family%s%n", config.source().family(),
                            config.source().lm() == null ? "" : " (" + config.source().lm() + " + " + config.source().vision() + ")");
                FlamingoConfig.Vision v = config.vision();
                FlamingoConfig.Text t = config.text();
                FlamingoConfig.Perceiver p = config.perceiver();
                String stem = v.convStemChannels().length == 0 ? ""
                        : ", conv stem " + Arrays.stream(v.convStemChannels()).mapToObj(Integer::toString)
                                .collect(Collectors.joining("→", "3→", ""));
                out.printf(Locale.ROOT, "vision      ViT %dx%d (%s), patch %d (%d patches)%s, width %d, %d layers, %d heads%n",
                        v.imageSize(), v.imageSize(), v.resizeMode(), v.patchSize(), v.patches(), stem, v.hiddenSize(), v.layers(), v.heads());
                out.printf(Locale.ROOT, "perceiver   %d latents, depth %d, %d heads x %d, %s%n",
                        p.latents(), p.depth(), p.heads(), p.dimHead(),
                        p.temporalEmbeddings() ? "up to " + p.maxFrames() + " frames" : "no temporal embeddings");
                String lmFamily = t instanceof FlamingoConfig.Opt ? "OPT" : t instanceof FlamingoConfig.Mpt ? "MPT (ALiBi)"
                        : t instanceof FlamingoConfig.GptNeox ? "GPT-NeoX (rotary)" : "GPT-2";
                out.printf(Locale.ROOT, "lm          %s, vocabulary %d, %d positions, width %d, %d layers, %d heads%n",
                        lmFamily, t.vocabSize(), t.positions(), t.width(), t.layers(), t.heads());
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
