package io.narrator.model.tokenizer;

/**
 * GPT-2's byte-level alphabet ({@code bytes_to_unicode}): each of the 256 byte values stands for one printable
 * character, so BPE works on text with no unknown symbols. The printable Latin-1 bytes ({@code !}..{@code ~},
 * {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) stand for themselves; the other 68 (control characters, space,
 * U+007F..U+00A0, U+00AD) stand for U+0100 onwards in byte order, so a space is {@code Ġ} and a newline {@code Ċ}.
 */
public final class ByteLevel {
    private static final char[] SYMBOLS = new char[256];

    static {
        int next = 0;
        for (int b = 0; b < 256; b++) SYMBOLS[b] = printable(b) ? (char) b : (char) (256 + next++);
    }

    private ByteLevel() {}

    /** The character that stands for byte {@code b} (0..255). */
    public static char symbol(int b) {
        if (b < 0 || b > 255) throw new IllegalArgumentException("a byte is 0..255, got " + b);
        return SYMBOLS[b];
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }
}
