package io.narrator.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Data-parallel training steps on the cores of one machine: each replica of the model (another copy made the same way,
 * loaded from the same files or initialised from the same seed) takes a part of every batch on its own thread, forward
 * and backward, one PyTorch thread per op; then
 * the replicas' gradients are added into the first replica's, in replica order, the optimizer updates the first, and
 * the others take its weights before the next step. A loss that couples the rows of a batch (CLIP's contrastive loss
 * compares every frame with every text) splits at the features instead ({@link #descendThroughFeatures}).
 *
 * <p>Why: a training step of a small model is many small ops, and PyTorch splits only the large ones over the cores,
 * so one training thread leaves part of a two-core machine idle. Independent parts on their own threads keep every
 * core busy. What a step computes is the same sum as one thread computing the whole batch, but in another order of
 * rounding: a run is deterministic for a seed and a replica count, not across replica counts.
 */
final class DataParallel implements AutoCloseable {
    private final List<Map<String, Parameter>> replicas;
    private final List<NDManager> managers;
    private final NDManager scratch;
    private final ExecutorService workers;
    private final int threadsBefore;

    /**
     * @param replicas the trainable parameters of each replica, by the same names; the first is the one the optimizer
     *     updates and the one that is saved
     * @param managers each replica's manager: its parts are computed on sub-managers of it
     * @param scratch a manager for the temporary handles of gradient sums
     */
    DataParallel(List<Map<String, Parameter>> replicas, List<NDManager> managers, NDManager scratch) {
        if (replicas.size() < 2) throw new IllegalArgumentException("data-parallel steps need at least 2 replicas, got " + replicas.size());
        if (managers.size() != replicas.size())
            throw new IllegalArgumentException(replicas.size() + " replicas need as many managers, got " + managers.size());
        for (Map<String, Parameter> r : replicas)
            if (!r.keySet().equals(replicas.get(0).keySet()))
                throw new IllegalArgumentException("replicas must have the same trainable parameters");
        this.replicas = List.copyOf(replicas);
        this.managers = List.copyOf(managers);
        this.scratch = scratch;
        this.workers = Executors.newFixedThreadPool(replicas.size() - 1, r -> {
            Thread t = new Thread(r, "narrator-replica");
            t.setDaemon(true);
            return t;
        });
        this.threadsBefore = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
    }

    int size() {
        return replicas.size();
    }

    /**
     * One step: part r of the batch on replica r ({@code parts.get(r)} computes that part's loss on a manager it is
     * given, a sub-manager of replica r's), the gradients summed into replica 0, then the optimizer update at
     * {@code rate}. The parts' losses must add up to the batch's loss. Returns that sum.
     */
    float descend(AdamW optimizer, float rate, List<Function<NDManager, NDArray>> parts) {
        if (parts.size() != replicas.size())
            throw new IllegalArgumentException(replicas.size() + " replicas need as many parts, got " + parts.size());
        synchronizeWeights();
        List<Future<Float>> others = new ArrayList<>();
        for (int r = 1; r < replicas.size(); r++) {
            int part = r;
            others.add(workers.submit(() -> backward(managers.get(part), parts.get(part))));
        }
        float loss = backward(managers.get(0), parts.get(0));
        for (Future<Float> f : others) loss += join(f);
        sumGradients();
        optimizer.update(rate);
        return loss;
    }

    /**
     * One step whose loss couples the parts of a batch, split where the coupling starts: replica r computes part r's
     * features on its own thread (forward only, its graph kept); {@code head} computes the batch's loss on the calling
     * thread from every part's features, concatenated in replica order along the first axis, as leaves that collect
     * their gradients, and with parameters of its own (the optimizer's that are not replicated, such as a projection:
     * they get their gradients here, once); then each replica back-propagates the loss's gradient with respect to its
     * features through its part, and the replicas' gradients are summed as in {@link #descend}. The features of the
     * rows are what one thread computes for the whole batch, in another order of rounding. Returns the loss.
     */
    float descendThroughFeatures(AdamW optimizer, float rate, List<Function<NDManager, NDArray>> features,
            BiFunction<NDArray, NDManager, NDArray> head) {
        if (features.size() != replicas.size())
            throw new IllegalArgumentException(replicas.size() + " replicas need as many parts, got " + features.size());
        synchronizeWeights();
        List<NDManager> scopes = new ArrayList<>();
        List<Future<?>> pending = new ArrayList<>();
        try {
            for (NDManager m : managers) scopes.add(m.newSubManager());
            NDArray[] outputs = new NDArray[replicas.size()];
            List<Future<NDArray>> others = new ArrayList<>();
            for (int r = 1; r < replicas.size(); r++) {
                int part = r;
                others.add(workers.submit(() -> forward(scopes.get(part), features.get(part))));
            }
            pending.addAll(others);
            outputs[0] = forward(scopes.get(0), features.get(0));
            for (int r = 1; r < replicas.size(); r++) outputs[r] = join(others.get(r - 1));

            NDArray[] gradients = new NDArray[replicas.size()];
            float loss;
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(true);
            try (NDManager m = managers.get(0).newSubManager()) {
                NDList leaves = new NDList();
                for (NDArray out : outputs) {
                    NDArray leaf = out.stopGradient();
                    leaf.attach(m);
                    leaf.setRequiresGradient(true);
                    leaves.add(leaf);
                }
                NDArray value = head.apply(NDArrays.concat(leaves), m);
                JniUtils.backward((PtNDArray) value, (PtNDArray) m.ones(value.getShape(), value.getDataType()), false, false);
                loss = value.getFloat();
                for (int r = 0; r < replicas.size(); r++) {
                    gradients[r] = leaves.get(r).getGradient();
                    gradients[r].attach(scopes.get(r));
                }
            } finally {
                JniUtils.setGradMode(grad);
            }

            List<Future<?>> backs = new ArrayList<>();
            for (int r = 1; r < replicas.size(); r++) {
                int part = r;
                backs.add(workers.submit(() -> backwardFrom(outputs[part], gradients[part])));
            }
            pending.addAll(backs);
            backwardFrom(outputs[0], gradients[0]);
            for (Future<?> f : backs) join(f);
            sumGradients();
            optimizer.update(rate);
            return loss;
        } finally {
            awaitQuietly(pending); // a part that failed on one thread must not close what another still computes on
            for (NDManager m : scopes) m.close();
        }
    }

    /** Forward of one part with gradients recorded, on the calling thread; its graph lives as long as {@code scope}. */
    private static NDArray forward(NDManager scope, Function<NDManager, NDArray> part) {
        boolean grad = JniUtils.isGradMode(); // per thread in PyTorch
        JniUtils.setGradMode(true);
        try {
            return part.apply(scope);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Back-propagates {@code gradient}, the loss's gradient with respect to {@code output}, through output's graph. */
    private static void backwardFrom(NDArray output, NDArray gradient) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            JniUtils.backward((PtNDArray) output, (PtNDArray) gradient, false, false);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** The first replica's weights into the others (after a resume, they hold what the checkpoint restored). */
    private void synchronizeWeights() {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (var e : replicas.get(0).entrySet()) {
                float[] values = e.getValue().getArray().toFloatArray();
                for (int r = 1; r < replicas.size(); r++) replicas.get(r).get(e.getKey()).getArray().set(values);
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Forward and backward of one part, on the calling thread; returns its loss. */
    private static float backward(NDManager parent, Function<NDManager, NDArray> part) {
        boolean grad = JniUtils.isGradMode(); // per thread in PyTorch
        JniUtils.setGradMode(true);
        try (NDManager m = parent.newSubManager()) {
            NDArray loss = part.apply(m);
            JniUtils.backward((PtNDArray) loss, (PtNDArray) m.ones(loss.getShape(), loss.getDataType()), false, false);
            return loss.getFloat();
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Adds every other replica's gradients into the first's, in replica order, and zeroes them. */
    private void sumGradients() {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = scratch.newSubManager()) {
            for (var e : replicas.get(0).entrySet()) {
                NDArray sum = e.getValue().getArray().getGradient(); // fresh handles, closed with the scope
                sum.attach(scope);
                for (int r = 1; r < replicas.size(); r++) {
                    NDArray g = replicas.get(r).get(e.getKey()).getArray().getGradient();
                    g.attach(scope);
                    sum.addi(g);
                    g.subi(g);
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private static void awaitQuietly(List<Future<?>> futures) {
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                // reported by join
            }
        }
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a replica was computing its part", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException("a replica failed: " + cause, cause);
        }
    }

    /** Stops the worker threads and gives PyTorch back its threads per op. */
    @Override
    public void close() {
        workers.shutdownNow();
        JniUtils.setNumThreads(threadsBefore);
    }
}
