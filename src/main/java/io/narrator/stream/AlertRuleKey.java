package io.narrator.stream;

import java.nio.charset.StandardCharsets;

/**
 * Which alert rule a record of the alert-rules topic holds: its scope (a stream id, or the default key for a rule of
 * every stream) and its id, written {@code <scope>/<rule id>} as the record key. Rule ids hold no {@code /}, so a key
 * splits at its last one.
 */
public record AlertRuleKey(String scope, String ruleId) {
    /** What a rule id may be: 1 to 64 letters, digits, '.', '_' or '-'. */
    public static final String RULE_ID = "[A-Za-z0-9._-]{1,64}";

    public AlertRuleKey {
        if (ruleId == null || !ruleId.matches(RULE_ID))
            throw new IllegalArgumentException("rule id '" + ruleId + "' must be 1 to 64 letters, digits, '.', '_' or '-'");
        if (scope == null || scope.isEmpty())
            throw new IllegalArgumentException("rule " + ruleId + " has no scope: give a stream id, or the default key for every stream");
        if (scope.getBytes(StandardCharsets.UTF_8).length > StateKeys.MAX_STREAM_ID_BYTES)
            throw new IllegalArgumentException("the scope of rule " + ruleId + " is longer than " + StateKeys.MAX_STREAM_ID_BYTES + " bytes");
        if (scope.chars().anyMatch(Character::isISOControl))
            throw new IllegalArgumentException("the scope of rule " + ruleId + " contains control characters");
    }

    /**
     * Reads a record key.
     *
     * @throws IllegalArgumentException naming the key and what a key must be
     */
    public static AlertRuleKey parse(String key) {
        int slash = key.lastIndexOf('/');
        if (slash < 0)
            throw new IllegalArgumentException("key '" + key + "' is not <scope>/<rule id>: the scope is a stream id or the default key, e.g. cam-1/red-car");
        try {
            return new AlertRuleKey(key.substring(0, slash), key.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key '" + key + "': " + e.getMessage(), e);
        }
    }

    /** The record key, {@code <scope>/<rule id>}. */
    public String key() {
        return scope + "/" + ruleId;
    }
}
