package io.narrator.model;

/** Settings DJL must see before its engine loads: nothing is ever downloaded at run time. */
public final class DjlSetup {
    private DjlSetup() {}

    /** Sets {@code ai.djl.offline=true} unless the user chose otherwise. Idempotent. */
    public static void configure() {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
    }
}
