package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.nn.Attention;

/**
 * Which visual tokens each text token may attend to, following the paper: a token's text time is the
 * number of media markers up to and including it; with {@code only_attend_immediate_media} it sees
 * only the visual tokens of media number text_time (else all media up to it); a token with text time 0 gets
 * no cross-attention output at all.
 *
 * @param bias (B, 1, T, M·V) additive attention bias, or null when every token may see every visual token
 * @param hasMedia (B, 1, T, 1) 1 where the token follows some media, else 0 (multiplies the attention output), or
 *     null when every token follows some media
 */
public record MediaMask(NDArray bias, NDArray hasMedia) {

    /**
     * @param textTime (B, T) the text time of each new token
     * @param media M, media slots per row (rows with fewer media are padded; no token's text time reaches a padded slot)
     * @param tokensPerMedia V
     * @param dtype the dtype of the attention logits the mask is added to
     */
    public static MediaMask of(NDManager m, int[][] textTime, int media, int tokensPerMedia, boolean onlyImmediate, DataType dtype) {
        int b = textTime.length;
        int t = textTime[0].length;
        int keys = media * tokensPerMedia;
        float[] bias = new float[b * t * keys];
        float[] has = new float[b * t];
        boolean anyHidden = false;
        boolean anyWithout = false;
        float masked = Attention.masked(dtype);
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                int tt = textTime[r][i];
                has[r * t + i] = tt > 0 ? 1f : 0f;
                anyWithout |= tt == 0;
                int base = (r * t + i) * keys;
                for (int j = 0; j < keys; j++) {
                    int mediaTime = j / tokensPerMedia + 1;
                    boolean visible = onlyImmediate ? tt == mediaTime : tt >= mediaTime;
                    bias[base + j] = visible ? 0f : masked;
                    anyHidden |= !visible;
                }
            }
        }
        // one media and tokens after it (a 0-shot generation step): nothing to mask, so nothing to add or multiply
        return new MediaMask(anyHidden ? Attention.inType(m.create(bias, new Shape(b, 1, t, keys)), dtype) : null,
                anyWithout ? Attention.inType(m.create(has, new Shape(b, 1, t, 1)), dtype) : null);
    }

    /**
     * The mask when each token's keys are already just its own media item's (see {@code FlamingoState}): nothing to
     * hide; a token with text time 0 (before any media) still gets no output.
     *
     * @param textTime (B, T) the text time of each new token
     * @param dtype the dtype of the attention output the mask multiplies
     */
    public static MediaMask ofOwnMedia(NDManager m, int[][] textTime, DataType dtype) {
        int b = textTime.length;
        int t = textTime[0].length;
        float[] has = new float[b * t];
        boolean anyWithout = false;
        for (int r = 0; r < b; r++)
            for (int i = 0; i < t; i++) {
                has[r * t + i] = textTime[r][i] > 0 ? 1f : 0f;
                anyWithout |= textTime[r][i] == 0;
            }
        return new MediaMask(null, anyWithout ? Attention.inType(m.create(has, new Shape(b, 1, t, 1)), dtype) : null);
    }
}
