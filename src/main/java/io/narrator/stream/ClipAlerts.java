package io.narrator.stream;

import io.narrator.avro.Alert;
import io.narrator.avro.Caption;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The alerts of one narrated clip: each alert rule the clip was submitted with ({@link NarrationJob#alertRules()}) is
 * evaluated against the clip's caption (KEYWORD, REGEX) or the scores of its question (QUESTION: the likeliest answer must
 * be a yes answer), and a match becomes an {@link Alert} unless the same rule alerted on the same stream less than the
 * rule's cooldown earlier. Cooldowns are in event time, from window end to window end, kept per stream and rule id in a
 * state store that is written in the same transaction as the caption and its alerts; a window that ends before the last
 * alerted one (the stream's clock jumped back) starts the cooldown afresh. A clip without a caption text (an error) has no
 * alerts, nor has a question that could not be scored.
 */
final class ClipAlerts {
    private final KeyValueStore<String, Long> cooldowns;
    private final NarratorMetrics metrics;

    ClipAlerts(KeyValueStore<String, Long> cooldowns, NarratorMetrics metrics) {
        this.cooldowns = cooldowns;
        this.metrics = metrics;
    }

    /** The alerts to publish for a clip whose caption is {@code caption}, made at wall-clock time {@code now}. */
    List<Alert> of(NarrationCompletion done, Caption caption, long now) {
        NarrationJob job = done.job();
        if (job.alertRules().isEmpty() || caption.getError() != null) return List.of();
        List<Alert> out = new ArrayList<>();
        int question = 0;
        for (CompiledAlertRule rule : job.alertRules()) {
            Alert.Builder alert;
            if (rule.isQuestion()) {
                QuestionScores scores = question < done.answers().size() ? done.answers().get(question) : null;
                question++;
                if (scores == null || !scores.ok() || scores.logProbs().size() != rule.question().answers().size()) continue;
                alert = answered(rule.question(), scores);
            } else {
                String matched = rule.find(caption.getText()).orElse(null);
                alert = matched == null ? null : Alert.newBuilder().setPattern(rule.pattern()).setMatchedText(matched);
            }
            if (alert == null) continue;
            if (coolingDown(job.streamId(), rule, caption.getWindowEndMicros())) {
                metrics.alertCooledDown(rule.kind());
                continue;
            }
            out.add(alert.setStreamId(job.streamId())
                    .setClipIndex(job.clipIndex())
                    .setWindowStartMicros(caption.getWindowStartMicros())
                    .setWindowEndMicros(caption.getWindowEndMicros())
                    .setRuleId(rule.key().ruleId())
                    .setRuleScope(rule.key().scope())
                    .setRuleVersion(rule.version())
                    .setRuleKind(rule.kind())
                    .setCaption(caption.getText())
                    .setModelName(caption.getModelName())
                    .setModelVersion(caption.getModelVersion())
                    .setLatencyMs(caption.getLatency().getTotalMs())
                    .setCreatedAtMillis(now)
                    .build());
            metrics.alertPublished(rule.kind());
        }
        return out;
    }

    /** The alert of a question whose likeliest answer is a yes answer, else null (a tie is no). */
    private static Alert.Builder answered(AlertQuestion question, QuestionScores scores) {
        int yes = question.yesAnswers().size();
        int bestYes = best(scores.logProbs(), 0, yes);
        int bestNo = best(scores.logProbs(), yes, scores.logProbs().size());
        double yesLogProb = scores.logProbs().get(bestYes);
        double noLogProb = scores.logProbs().get(bestNo);
        if (!(yesLogProb > noLogProb)) return null;
        return Alert.newBuilder()
                .setQuestion(question.question())
                .setAnswer(question.yesAnswers().get(bestYes))
                .setAnswerLogProb(yesLogProb)
                .setOtherAnswer(question.noAnswers().get(bestNo - yes))
                .setOtherAnswerLogProb(noLogProb);
    }

    /** The index in {@code [from, to)} of the highest log-probability (the first of equals). */
    private static int best(List<Double> logProbs, int from, int to) {
        int best = from;
        for (int i = from + 1; i < to; i++) if (logProbs.get(i) > logProbs.get(best)) best = i;
        return best;
    }

    /** True when the rule alerted on this stream within its cooldown before {@code windowEnd}; otherwise notes this alert. */
    private boolean coolingDown(String streamId, CompiledAlertRule rule, long windowEnd) {
        String key = streamId + '\u0000' + rule.key().ruleId();
        Long last = cooldowns.get(key);
        if (last != null && windowEnd >= last && windowEnd - last < rule.cooldownMicros()) return true;
        cooldowns.put(key, windowEnd);
        return false;
    }
}
