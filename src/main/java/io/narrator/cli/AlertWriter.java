package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.avro.Alert;
import io.narrator.avro.AlertRuleKind;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Locale;
import org.apache.avro.Schema;

/**
 * Prints {@link Alert} records for {@code narrator alert tail}: one line of text each, or one JSON object each with
 * every field of the record under its schema name. Window times that look like wall-clock time (after 2000) are shown
 * as instants, others (a file's presentation times) as {@code HH:MM:SS.mmm}, a window's start before 0 (the first window
 * of a stream, when the hop is shorter than the window) as 0.
 */
final class AlertWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long YEAR_2000_MICROS = 946_684_800_000_000L;

    /** How alerts are printed. */
    enum Format {
        TEXT,
        JSON
    }

    private final PrintWriter out;
    private final Format format;

    AlertWriter(PrintWriter out, Format format) {
        this.out = out;
        this.format = format;
    }

    /** Writes one alert and flushes, so a pipe sees it at once. */
    void write(Alert a) {
        out.println(format == Format.JSON ? json(a) : text(a));
        out.flush();
    }

    static String text(Alert a) {
        String rule = a.getRuleId() + (a.getRuleScope().equals(a.getStreamId()) ? "" : " (" + a.getRuleScope() + ")");
        String match = a.getRuleKind() == AlertRuleKind.QUESTION
                ? "\"" + a.getQuestion() + "\" " + a.getAnswer() + String.format(Locale.ROOT, " (%.3f; %s %.3f)", a.getAnswerLogProb(), a.getOtherAnswer(),
                        a.getOtherAnswerLogProb())
                : a.getRuleKind() + " " + a.getPattern() + " matched \"" + a.getMatchedText() + "\"";
        return a.getStreamId() + "  " + when(a.getWindowStartMicros()) + " → " + when(a.getWindowEndMicros()) + "  " + rule + ": " + match + "  \""
                + a.getCaption().replaceAll("\\s+", " ").strip() + "\"  (" + a.getLatencyMs() + " ms)";
    }

    /** Every field of the record, by its schema name: enums by their symbol, nulls as null. */
    static String json(Alert a) {
        ObjectNode n = JSON.createObjectNode();
        for (Schema.Field f : Alert.getClassSchema().getFields()) {
            Object v = a.get(f.pos());
            if (v == null) n.putNull(f.name());
            else if (v instanceof Long l) n.put(f.name(), l);
            else if (v instanceof Double d) n.put(f.name(), d);
            else n.put(f.name(), v.toString());
        }
        return n.toString();
    }

    private static String when(long eventMicros) {
        long micros = Math.max(0, eventMicros);
        return micros >= YEAR_2000_MICROS ? Instant.ofEpochSecond(micros / 1_000_000, micros % 1_000_000 * 1000).toString() : CaptionWriter.clock(micros, '.');
    }
}
