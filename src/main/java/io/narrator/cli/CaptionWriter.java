package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.avro.Caption;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Prints {@link Caption} records in a {@link CaptionFormat}, shared by {@code caption}, {@code tail} and
 * {@code demo}. Times are shown relative to each stream's origin: its first frame in the first caption seen,
 * so the captions of a file line up with the file; cues span each clip's window (consecutive windows overlap
 * when the hop is shorter than the window, and so do their cues). Captions without text (an error) are
 * shown in text and JSON, and left out of subtitles.
 */
final class CaptionWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintWriter out;
    private final CaptionFormat format;
    private final boolean labelStreams;
    private final Map<String, Long> origins = new HashMap<>();
    private int cues;
    private boolean begun;

    /**
     * @param labelStreams whether subtitle cues name their stream (when captions of several streams are mixed)
     */
    CaptionWriter(PrintWriter out, CaptionFormat format, boolean labelStreams) {
        this.out = out;
        this.format = format;
        this.labelStreams = labelStreams;
    }

    /** Sets the time a stream's captions are shown relative to (event time, microseconds). */
    void origin(String streamId, long originMicros) {
        origins.put(streamId, originMicros);
    }

    /** Writes what comes before the first caption (the WebVTT header); called by the first {@link #write} if not before. */
    void begin() {
        if (begun) return;
        begun = true;
        if (format == CaptionFormat.WEBVTT) {
            out.println("WEBVTT");
            out.println();
        }
        out.flush();
    }

    /** Writes one caption and flushes, so a pipe sees it at once. */
    void write(Caption c) {
        begin();
        long origin = origins.computeIfAbsent(c.getStreamId(),
                s -> c.getFrameTimestamps().isEmpty() ? c.getWindowStartMicros() : c.getFrameTimestamps().get(0));
        long start = Math.max(0, c.getWindowStartMicros() - origin);
        long end = Math.max(start + 1000, c.getWindowEndMicros() - origin);
        boolean hasText = c.getError() == null;
        switch (format) {
            case TEXT -> out.println(c.getStreamId() + "  " + clock(start, '.') + " → " + clock(end, '.') + "  "
                    + (hasText ? oneLine(c.getText()) : "[no caption: " + oneLine(c.getError()) + "]")
                    + "  (" + c.getLatency().getTotalMs() + " ms)");
            case JSON -> out.println(json(c, start, end));
            case WEBVTT -> {
                if (hasText) {
                    out.println(clock(start, '.') + " --> " + clock(end, '.'));
                    out.println(cueText(c));
                    out.println();
                }
            }
            case SRT -> {
                if (hasText) {
                    out.println(++cues);
                    out.println(clock(start, ',') + " --> " + clock(end, ','));
                    out.println(cueText(c));
                    out.println();
                }
            }
        }
        out.flush();
    }

    private String cueText(Caption c) {
        String text = oneLine(c.getText()).replace("-->", "->");
        if (text.isEmpty()) text = "…";
        return labelStreams ? "[" + c.getStreamId() + "] " + text : text;
    }

    private static String json(Caption c, long start, long end) {
        ObjectNode n = JSON.createObjectNode();
        n.put("streamId", c.getStreamId());
        n.put("clipIndex", c.getClipIndex());
        n.put("start", start / 1e6);
        n.put("end", end / 1e6);
        n.put("windowStartMicros", c.getWindowStartMicros());
        n.put("windowEndMicros", c.getWindowEndMicros());
        n.put("text", c.getText());
        if (c.getLogProb() == null) n.putNull("logProb");
        else n.put("logProb", c.getLogProb());
        n.put("error", c.getError());
        n.put("promptVersion", c.getPromptVersion());
        n.put("modelName", c.getModelName());
        n.put("modelVersion", c.getModelVersion());
        var frames = n.putArray("frameTimestamps");
        c.getFrameTimestamps().forEach(frames::add);
        var sequences = n.putArray("frameSequences");
        c.getFrameSequences().forEach(sequences::add);
        ObjectNode latency = n.putObject("latencyMs");
        latency.put("queue", c.getLatency().getQueueMs());
        latency.put("decode", c.getLatency().getDecodeMs());
        latency.put("vision", c.getLatency().getVisionMs());
        latency.put("generation", c.getLatency().getGenerationMs());
        latency.put("total", c.getLatency().getTotalMs());
        n.put("createdAtMillis", c.getCreatedAtMillis());
        return n.toString();
    }

    /** {@code HH:MM:SS.mmm} (WebVTT, text) or {@code HH:MM:SS,mmm} (SRT). */
    static String clock(long micros, char decimal) {
        long ms = micros / 1000;
        return String.format(Locale.ROOT, "%02d:%02d:%02d%c%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, decimal, ms % 1000);
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").strip();
    }
}
