package io.narrator.model.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.narrator.model.Flamingo;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoState;
import io.narrator.model.nn.Attention;
import io.narrator.model.tokenizer.NarratorTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores texts after media in one batched forward pass: for each token of the continuation, log p(token |
 * everything before it). Shapes: B requests, T tokens, W vocabulary.
 */
public final class Scorer {
    private final Flamingo model;
    private final NarratorTokenizer tokenizer;
    private final NDManager parent;

    public Scorer(Flamingo model, NarratorTokenizer tokenizer, NDManager parent) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.parent = parent;
    }

    public List<ScoreResult> score(List<ScoreRequest> requests) {
        if (requests.isEmpty()) return List.of();
        FlamingoConfig.SpecialTokens special = model.config().specialTokens();
        List<long[]> sequences = new ArrayList<>();
        int[] promptLengths = new int[requests.size()];
        for (int r = 0; r < requests.size(); r++) {
            ScoreRequest req = requests.get(r);
            long[] prompt = tokenizer.encodePrompt(req.prompt());
            long[] cont = tokenizer.encode(req.continuation());
            int images = special.countMediaMarkers(prompt);
            if (special.countMediaMarkers(cont) > 0)
                throw new IllegalArgumentException("request " + r + ": the scored text must not contain a media marker ("
                        + special.mediaText() + "): it would be read as media");
            if (images != req.media().size())
                throw new IllegalArgumentException("request " + r + ": the prompt has " + images + " " + special.mediaText()
                        + " marker(s) but " + req.media().size() + " media item(s) were given");
            if (prompt.length == 0) throw new IllegalArgumentException("request " + r + ": the prompt has no tokens");
            if (cont.length == 0) throw new IllegalArgumentException("request " + r + ": the text to score has no tokens");
            long[] seq = new long[prompt.length + cont.length];
            System.arraycopy(prompt, 0, seq, 0, prompt.length);
            System.arraycopy(cont, 0, seq, prompt.length, cont.length);
            if (seq.length > model.config().text().positions())
                throw new IllegalArgumentException("request " + r + ": " + seq.length + " tokens exceed the model's "
                        + model.config().text().positions() + " positions");
            sequences.add(seq);
            promptLengths[r] = prompt.length;
        }
        try (NDManager m = parent.newSubManager()) {
            List<List<NDArray>> media = MediaArrays.of(m, requests.stream().map(ScoreRequest::media).toList());
            FlamingoState state = model.start(m, model.visualTokens(m, media), false);
            Batch batch = Batch.leftPadded(sequences, model.config().specialTokens().pad());
            NDArray ids = batch.ids(m); // (B, T)
            NDArray logProbs = Attention.inType(model.forward(ids, batch.mask(), state), DataType.FLOAT32).logSoftmax(-1); // (B, T, W)
            long t = ids.getShape().get(1);
            NDArray targets = ids.get(":, 1:").expandDims(-1); // (B, T-1, 1)
            NDArray picked = logProbs.get(":, :" + (t - 1) + ", :").gather(targets, 2).squeeze(-1); // (B, T-1)
            float[] flat = picked.toType(DataType.FLOAT32, false).toFloatArray();
            List<ScoreResult> out = new ArrayList<>();
            for (int r = 0; r < requests.size(); r++) {
                long[] seq = sequences.get(r);
                int offset = (int) t - seq.length; // left padding
                int n = seq.length - promptLengths[r];
                long[] tok = new long[n];
                String[] text = new String[n];
                float[] lp = new float[n];
                double total = 0;
                for (int j = 0; j < n; j++) {
                    int pos = offset + promptLengths[r] + j; // position of the token in the padded row
                    tok[j] = seq[promptLengths[r] + j];
                    text[j] = tokenizer.token(tok[j]);
                    lp[j] = flat[r * (int) (t - 1) + pos - 1];
                    total += lp[j];
                }
                out.add(new ScoreResult(tok, text, lp, total));
            }
            return out;
        }
    }
}
