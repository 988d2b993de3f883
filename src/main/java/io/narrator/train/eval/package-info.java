/**
 * Measuring a model on the synthetic world: {@link io.narrator.train.eval.Evaluation} (accuracy per task and number of
 * examples, events with frames in order and shuffled, the event confusion, the gates; {@code narrator eval}), its
 * report and charts ({@link io.narrator.train.eval.ReportWriter}: {@code report.json}), and linear probes of a vision
 * encoder's frozen features ({@link io.narrator.train.eval.FeatureProbe}; {@code narrator model probe}).
 *
 * <p>May use: {@code model}, {@code train.world}, {@code train.data}. Not {@code train} itself: the recipe evaluates
 * what it trained through this package.
 */
package io.narrator.train.eval;
