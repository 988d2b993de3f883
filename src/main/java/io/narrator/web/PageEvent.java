package io.narrator.web;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One server-sent event of the page: its type ({@code snapshot}, {@code frame}, {@code caption}, {@code dead-letter},
 * {@code alert}) and its data, a JSON object written on one line.
 */
record PageEvent(String type, ObjectNode data) {
    static final String SNAPSHOT = "snapshot";
    static final String FRAME = "frame";
    static final String CAPTION = "caption";
    static final String DEAD_LETTER = "dead-letter";
    static final String ALERT = "alert";

    PageEvent {
        if (type == null || !type.matches("[a-z][a-z-]*")) throw new IllegalArgumentException("an event type is lower-case letters and '-', got '" + type + "'");
        if (data == null) throw new IllegalArgumentException("event " + type + " has no data");
    }

    /** The event in the text/event-stream format: {@code event:} and {@code data:} lines and a blank line. */
    String wireFormat() {
        return "event: " + type + "\ndata: " + data + "\n\n";
    }
}
