package io.narrator.train.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A block of a Markdown page that a test writes from data ({@code <!-- NAME -->} … {@code <!-- /NAME -->}): the test
 * compares the page's block with what the data gives and, with {@code -Dnarrator.regenerate.docs=true}, writes it.
 */
record GeneratedBlock(Path page, String name) {
    static final boolean REGENERATE = Boolean.getBoolean("narrator.regenerate.docs");

    private String open() {
        return "<!-- " + name + " -->\n";
    }

    private String close() {
        return "<!-- /" + name + " -->";
    }

    /** The block's text as the page has it now (between the two markers). */
    String current() throws IOException {
        String text = Files.readString(page);
        int from = text.indexOf(open());
        int to = text.indexOf(close());
        if (from < 0 || to < from)
            throw new IllegalStateException(page + " has no block " + open().strip() + " … " + close());
        return text.substring(from + open().length(), to);
    }

    /** Writes {@code content} into the block when regenerating; returns the block as the page then has it. */
    String sync(String content) throws IOException {
        if (REGENERATE) {
            String text = Files.readString(page);
            int from = text.indexOf(open());
            int to = text.indexOf(close());
            if (from < 0 || to < from)
                throw new IllegalStateException(page + " has no block " + open().strip() + " … " + close());
            Files.writeString(page, text.substring(0, from + open().length()) + content + text.substring(to));
        }
        return current();
    }

    /** What a failing comparison says: the page, the block, and how to write it again. */
    String regenerateHint() {
        return page + " block '" + name + "' does not match its data; regenerate it with"
                + " `mvn test -Dtest=ModelCardTest+ReadmeFiguresTest -Dnarrator.regenerate.docs=true`";
    }
}
