package io.narrator.model.family;

import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.CheckpointException;
import io.narrator.model.checkpoint.MappedCheckpoint;
import io.narrator.model.checkpoint.TiedTensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A checkpoint family's table from its released tensor names to Narrator's: ordered rules, the first that matches a
 * name decides. A rule renames ({@code flamingo.lm.decoder.layers.{i}.lm_block.{rest}} → {@code
 * model.decoder.layers.{i}.{rest}}, optionally reading the tensor in another shape), splits a fused tensor's rows into
 * equal parts under several names (open_clip's {@code in_proj_weight} into {@code q_proj}, {@code k_proj} and
 * {@code v_proj}), ignores names the model does not use (with the reason), or drops a tied copy after checking it
 * repeats the tensor it is tied to. In a pattern,
 * {@code {rest}} stands for any non-empty text and every other {@code {name}} for a number; a target uses the
 * placeholders of its source.
 *
 * <p>{@link #map} applies the table to a checkpoint's names, without reading any value: what it maps, what it ignores,
 * what no rule matches (unexpected), and which released name a missing tensor would have had.
 */
public final class TensorTable {
    /** Maps a stored shape to the shape Narrator reads the tensor in, as many elements (or the stored one, unchanged). */
    @FunctionalInterface
    public interface Reshape {
        long[] apply(long[] stored);

        /** Removes dimension {@code dim} when it has size 1 ({@code time_pos_emb} (T, 1, D) → (T, D)); other shapes pass unchanged. */
        static Reshape dropUnitDimension(int dim) {
            return stored -> {
                if (stored.length <= dim || stored[dim] != 1) return stored;
                long[] out = new long[stored.length - 1];
                for (int i = 0, k = 0; i < stored.length; i++) if (i != dim) out[k++] = stored[i];
                return out;
            };
        }
    }

    private sealed interface Rule permits Rename, Split, Ignore, Tied {
        NamePattern pattern();
    }

    private record Rename(NamePattern pattern, NamePattern to, Reshape reshape) implements Rule {}

    private record Split(NamePattern pattern, List<NamePattern> to) implements Rule {}

    private record Ignore(NamePattern pattern, String reason) implements Rule {}

    private record Tied(NamePattern pattern, String tiedTo) implements Rule {}

    /** A tied copy the table drops, and the released tensor it must repeat. */
    public record Tie(String name, String tiedTo) {}

    /** A tensor the table ignores, and why. */
    public record Ignored(String name, String reason) {}

    /**
     * The table applied to {@code source}'s names: the tensors in Narrator's names (in the checkpoint's order), the
     * ignored ones, the tied copies to check, and the names no rule matches.
     */
    public record Mapping(TensorTable table, Checkpoint source, List<MappedCheckpoint.Entry> entries, List<Ignored> ignored,
            List<Tie> ties, List<String> unexpected, java.util.Set<Integer> usedRules) {
        /**
         * The released names this mapping's source would hold for Narrator's {@code target} (to say which released tensor
         * a missing one is): one per renaming rule that mapped some tensor here and whose target pattern matches.
         */
        public List<String> releasedNamesOf(String target) {
            List<String> out = new ArrayList<>();
            for (int k : new java.util.TreeSet<>(usedRules)) {
                Rule rule = table.rules.get(k);
                List<NamePattern> targets = rule instanceof Rename r ? List.of(r.to()) : rule instanceof Split sp ? sp.to() : List.of();
                for (NamePattern to : targets) {
                    Matcher m = to.matcher(target);
                    if (m == null || !to.placeholders.containsAll(rule.pattern().placeholders)) continue;
                    String name = rule.pattern().fill(to, m);
                    if (!out.contains(name)) out.add(name);
                }
            }
            return out;
        }

        /**
         * Checks that every tied copy repeats its tensor — the same storage, or equal values read a block at a time — so
         * that dropping it loses nothing; returns how each one does.
         */
        public Map<Tie, TiedTensors.Comparison> verifyTies() throws CheckpointException {
            Map<Tie, TiedTensors.Comparison> out = new LinkedHashMap<>();
            for (Tie t : ties) {
                if (!source.contains(t.tiedTo()))
                    throw new CheckpointException(source.source() + ": " + t.name() + " is tied to " + t.tiedTo() + ", which it does not hold");
                TiedTensors.Comparison c = TiedTensors.compare(source, t.name(), source, t.tiedTo());
                if (c.kind() == TiedTensors.Kind.DIFFERENT_SHAPES)
                    throw new CheckpointException(source.source() + ": " + t.name() + " has shape " + Arrays.toString(source.info(t.name()).shape())
                            + " but the " + t.tiedTo() + " it is tied to has " + Arrays.toString(source.info(t.tiedTo()).shape()));
                if (!c.tied())
                    throw new CheckpointException(source.source() + ": " + t.name() + " differs from " + t.tiedTo() + " (first at value "
                            + c.firstDifference() + "); the model ties its output head to the token embeddings, so an untied head "
                            + "cannot be imported");
                out.put(t, c);
            }
            return out;
        }
    }

    private final String family;
    private final List<Rule> rules;

    private TensorTable(String family, List<Rule> rules) {
        this.family = family;
        this.rules = List.copyOf(rules);
    }

    /** A table for {@code family} (named in messages). */
    public static Builder builder(String family) {
        return new Builder(family);
    }

    /** Narrator's own layout: every name as it is. */
    public static TensorTable identity(String family) {
        return builder(family).rename("{rest}", "{rest}").build();
    }

    /** Builds a table rule by rule, in matching order. */
    public static final class Builder {
        private final String family;
        private final List<Rule> rules = new ArrayList<>();

        private Builder(String family) {
            this.family = family;
        }

        public Builder rename(String from, String to) {
            return rename(from, to, null);
        }

        /** Renames, reading the tensor in the shape {@code reshape} gives. */
        public Builder rename(String from, String to, Reshape reshape) {
            NamePattern source = NamePattern.of(from);
            NamePattern target = NamePattern.of(to);
            for (String p : target.placeholders)
                if (!source.placeholders.contains(p))
                    throw new IllegalArgumentException("rule " + from + " → " + to + ": {" + p + "} does not appear in the source pattern");
            rules.add(new Rename(source, target, reshape));
            return this;
        }

        /**
         * Splits a tensor's first dimension into {@code to.length} equal parts, part k read as {@code to[k]} (a fused
         * projection whose outputs lie one after another: open_clip's {@code in_proj_weight}, queries' rows first).
         */
        public Builder splitRows(String from, String... to) {
            if (to.length < 2) throw new IllegalArgumentException("rule " + from + ": a split needs at least two targets");
            NamePattern source = NamePattern.of(from);
            List<NamePattern> targets = new ArrayList<>();
            for (String t : to) {
                NamePattern target = NamePattern.of(t);
                for (String p : target.placeholders)
                    if (!source.placeholders.contains(p))
                        throw new IllegalArgumentException("rule " + from + " → " + t + ": {" + p + "} does not appear in the source pattern");
                targets.add(target);
            }
            rules.add(new Split(source, List.copyOf(targets)));
            return this;
        }

        public Builder ignore(String pattern, String reason) {
            rules.add(new Ignore(NamePattern.of(pattern), reason));
            return this;
        }

        /** Drops {@code name} after checking it repeats {@code tiedTo} (both released names). */
        public Builder tied(String name, String tiedTo) {
            rules.add(new Tied(NamePattern.of(name), tiedTo));
            return this;
        }

        public TensorTable build() {
            return new TensorTable(family, rules);
        }
    }

    public String family() {
        return family;
    }

    /** Applies the table to every name of {@code source} (no value is read). */
    public Mapping map(Checkpoint source) throws CheckpointException {
        List<MappedCheckpoint.Entry> entries = new ArrayList<>();
        List<Ignored> ignored = new ArrayList<>();
        List<Tie> ties = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        Map<String, String> targets = new LinkedHashMap<>();
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (String name : source.names()) {
            Rule rule = null;
            Matcher m = null;
            for (int k = 0; k < rules.size(); k++) {
                m = rules.get(k).pattern().matcher(name);
                if (m != null) {
                    rule = rules.get(k);
                    used.add(k);
                    break;
                }
            }
            if (rule == null) {
                unexpected.add(name);
            } else if (rule instanceof Ignore i) {
                ignored.add(new Ignored(name, i.reason()));
            } else if (rule instanceof Tied t) {
                ties.add(new Tie(name, t.tiedTo()));
            } else if (rule instanceof Rename r) {
                String target = claim(targets, r.to().fill(r.pattern(), m), name, source);
                long[] stored = source.info(name).shape();
                long[] shape = r.reshape() == null ? null : r.reshape().apply(stored);
                entries.add(new MappedCheckpoint.Entry(target, source, name, shape == null || Arrays.equals(shape, stored) ? null : shape));
            } else if (rule instanceof Split sp) {
                long[] stored = source.info(name).shape();
                int parts = sp.to().size();
                if (stored.length == 0 || stored[0] % parts != 0)
                    throw new CheckpointException(source.info(name).file() + ": tensor " + name + " has shape " + Arrays.toString(stored)
                            + ", whose first dimension does not split into " + parts + " equal parts (" + family + " table)");
                long part = stored[0] / parts;
                for (int k = 0; k < parts; k++) {
                    String target = claim(targets, sp.to().get(k).fill(sp.pattern(), m), name, source);
                    entries.add(MappedCheckpoint.Entry.rows(target, source, name, k * part, (k + 1) * part));
                }
            }
        }
        return new Mapping(this, source, List.copyOf(entries), List.copyOf(ignored), List.copyOf(ties), List.copyOf(unexpected),
                java.util.Set.copyOf(used));
    }

    /** Records that {@code name} maps to {@code target}; two released names mapping to one target is an error. */
    private String claim(Map<String, String> targets, String target, String name, Checkpoint source) throws CheckpointException {
        String before = targets.put(target, name);
        if (before != null)
            throw new CheckpointException(source.source() + ": " + before + " and " + name + " both map to " + target + " in the " + family
                    + " table");
        return target;
    }

    /** A name pattern: literal text with {@code {rest}} (any non-empty text) and {@code {name}} (a number) placeholders. */
    private static final class NamePattern {
        private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");

        final String text;
        final Pattern regex;
        final List<String> placeholders;

        private NamePattern(String text, Pattern regex, List<String> placeholders) {
            this.text = text;
            this.regex = regex;
            this.placeholders = placeholders;
        }

        static NamePattern of(String text) {
            StringBuilder regex = new StringBuilder();
            List<String> names = new ArrayList<>();
            Matcher m = PLACEHOLDER.matcher(text);
            int at = 0;
            while (m.find()) {
                regex.append(Pattern.quote(text.substring(at, m.start())));
                String name = m.group(1);
                if (names.contains(name)) throw new IllegalArgumentException("pattern " + text + " uses {" + name + "} twice");
                names.add(name);
                regex.append(name.equals("rest") ? "(.+)" : "(0|[1-9][0-9]*)");
                at = m.end();
            }
            regex.append(Pattern.quote(text.substring(at)));
            return new NamePattern(text, Pattern.compile(regex.toString()), List.copyOf(names));
        }

        /** A matcher positioned on a whole-name match, or null. */
        Matcher matcher(String name) {
            Matcher m = regex.matcher(name);
            return m.matches() ? m : null;
        }

        /** This pattern with each placeholder replaced by what {@code matched} (a match of {@code other}) captured for it. */
        String fill(NamePattern other, Matcher matched) {
            StringBuilder out = new StringBuilder();
            Matcher m = PLACEHOLDER.matcher(text);
            int at = 0;
            while (m.find()) {
                out.append(text, at, m.start());
                out.append(matched.group(other.placeholders.indexOf(m.group(1)) + 1));
                at = m.end();
            }
            return out.append(text.substring(at)).toString();
        }
    }
}
