package io.narrator.web;

import io.narrator.avro.Alert;
import io.narrator.avro.AlertRuleKind;
import io.narrator.avro.Caption;
import io.narrator.avro.CaptionLatency;
import io.narrator.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.util.List;

/** Captions, dead letters and alerts as the narrator publishes them, for the web page's tests. */
final class WebRecords {
    private WebRecords() {}

    /** A caption of {@code stream}'s clip {@code index}: an 8 s window ending at {@code endSeconds}, with {@code text}. */
    static Caption caption(String stream, long index, long endSeconds, String text) {
        long end = endSeconds * 1_000_000;
        return Caption.newBuilder().setStreamId(stream).setClipIndex(index).setWindowStartMicros(end - 8_000_000).setWindowEndMicros(end)
                .setFrameTimestamps(List.of(end - 2_000_000, end - 1_000_000)).setFrameSequences(List.of(1L, 2L)).setText(text)
                .setLogProb(-2.25).setPromptVersion(null).setModelName("narrator-tiny").setModelVersion("1.9.0")
                .setLatency(new CaptionLatency(5L, 6L, 7L, 80L, 98L)).setError(null).setCreatedAtMillis(1_700_000_000_000L).build();
    }

    /** A caption whose clip could not be narrated. */
    static Caption failed(String stream, long index, long endSeconds, String error) {
        Caption c = caption(stream, index, endSeconds, "");
        c.setLogProb(null);
        c.setError(error);
        return c;
    }

    /** A dead letter of a frames-topic record keyed {@code key} (null: no key). */
    static DeadLetter deadLetter(String key, String reason, String message) {
        return DeadLetter.newBuilder().setOriginTopic("narrator.frames").setOriginPartition(0).setOriginOffset(42).setKey(key).setReason(reason)
                .setMessage(message).setPayloadPrefix(ByteBuffer.wrap(new byte[] {1, 2, 3})).setPayloadSize(3).setTimeMillis(1_700_000_001_000L).build();
    }

    /** A KEYWORD rule's alert about {@code caption}'s clip, {@code matched} being the part of its text that matched. */
    static Alert keywordAlert(Caption caption, String ruleId, String matched) {
        return Alert.newBuilder().setStreamId(caption.getStreamId()).setClipIndex(caption.getClipIndex())
                .setWindowStartMicros(caption.getWindowStartMicros()).setWindowEndMicros(caption.getWindowEndMicros())
                .setRuleId(ruleId).setRuleScope(caption.getStreamId()).setRuleVersion(caption.getStreamId() + "/" + ruleId + "@0")
                .setRuleKind(AlertRuleKind.KEYWORD).setPattern(matched).setMatchedText(matched).setCaption(caption.getText())
                .setModelName(caption.getModelName()).setModelVersion(caption.getModelVersion()).setLatencyMs(caption.getLatency().getTotalMs())
                .setCreatedAtMillis(System.currentTimeMillis()).build();
    }

    /** A QUESTION rule's alert: the model answered {@code answer} to {@code question} about {@code caption}'s clip. */
    static Alert questionAlert(Caption caption, String ruleId, String question, String answer) {
        return Alert.newBuilder(keywordAlert(caption, ruleId, "")).setRuleKind(AlertRuleKind.QUESTION).setPattern(null).setMatchedText(null)
                .setQuestion(question).setAnswer(answer).setAnswerLogProb(-0.1).setOtherAnswer("no").setOtherAnswerLogProb(-2.5).build();
    }
}
