package io.pgshift.core.control;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A command on a migration's control topic ({@code pgshift.<name>.control}): small, versioned JSON that any Kafka producer
 * can write, for example
 * <pre>{"version":1,"migration":"shop","id":"c-42","command":"cutover","freezeSource":true,"timeoutSeconds":600}</pre>
 * {@link #parse} accepts only well-formed commands of the given migration, and says exactly what is wrong with any other.
 *
 * @param migration      the migration it is meant for; a coordinator ignores (and reports) commands of other migrations
 * @param id             chosen by the sender, unique per command; a command whose id was already seen is a duplicate
 * @param type           what to do
 * @param freezeSource   cutover: make the source databases read-only first (and end the other sessions)
 * @param cleanup        cutover: drop the replication slot and publication on the source once completed
 * @param timeoutSeconds cutover, validate: how long catching up may take before the command fails
 * @param sentAt         when it was sent (informative)
 * @param sentBy         who sent it (informative: user@host)
 */
public record ControlCommand(String migration, String id, Type type, boolean freezeSource, boolean cleanup, int timeoutSeconds, Instant sentAt,
                             String sentBy) {

    /** The only version this coordinator reads and writes. */
    public static final int VERSION = 1;
    public static final int DEFAULT_TIMEOUT_SECONDS = 600;
    private static final int MAX_BYTES = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a command asks for. */
    public enum Type {
        /** Prove nothing is pending, sync sequences, validate, complete. */
        CUTOVER(Set.of("freezeSource", "cleanup", "timeoutSeconds")),
        /** Cancel the cutover in progress; a source it froze is made writable again. */
        ABORT(Set.of()),
        /** Validate every table now (row counts and checksums), while streaming. */
        VALIDATE(Set.of("timeoutSeconds"));

        private final Set<String> options;

        Type(Set<String> options) {
            this.options = options;
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Type fromWire(String name) {
            for (Type t : values()) {
                if (t.wireName().equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }

    private static final Set<String> COMMON = Set.of("version", "migration", "id", "command", "sentAt", "sentBy");

    /** A new command of this process, with a fresh id. */
    public static ControlCommand create(String migration, Type type, boolean freezeSource, boolean cleanup, int timeoutSeconds) {
        String who = System.getProperty("user.name", "unknown") + "@" + hostName();
        return new ControlCommand(migration, type.wireName() + "-" + java.util.UUID.randomUUID(), type, freezeSource, cleanup, timeoutSeconds,
                Instant.now(), who);
    }

    public byte[] toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("migration", migration);
        m.put("id", id);
        m.put("command", type.wireName());
        if (type == Type.CUTOVER) {
            m.put("freezeSource", freezeSource);
            m.put("cleanup", cleanup);
        }
        if (type.options.contains("timeoutSeconds")) {
            m.put("timeoutSeconds", timeoutSeconds);
        }
        m.put("sentAt", sentAt.toString());
        m.put("sentBy", sentBy);
        try {
            return JSON.writeValueAsBytes(m);
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a control record of migration {@code expectedMigration}.
     *
     * @throws InvalidCommandException naming what is wrong: not JSON, another version, another migration, no id, an unknown
     *                                 command or option, a value of the wrong type
     */
    public static ControlCommand parse(byte[] value, String expectedMigration) {
        if (value == null || value.length == 0) {
            throw new InvalidCommandException("the record has no value; a command is a JSON object such as "
                    + "{\"version\":1,\"migration\":\"" + expectedMigration + "\",\"id\":\"c-1\",\"command\":\"cutover\"}");
        }
        if (value.length > MAX_BYTES) {
            throw new InvalidCommandException("the record is " + value.length + " bytes; a command is a small JSON object (at most " + MAX_BYTES + " bytes)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(value);
        }
        catch (java.io.IOException e) {
            throw new InvalidCommandException("the record is not JSON (" + firstLine(e.getMessage()) + "): "
                    + preview(new String(value, StandardCharsets.UTF_8)));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidCommandException("the record is not a JSON object: " + preview(new String(value, StandardCharsets.UTF_8)));
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isInt()) {
            throw new InvalidCommandException("'version' is missing or not a whole number; this pgshift reads version " + VERSION);
        }
        if (version.intValue() != VERSION) {
            throw new InvalidCommandException("version " + version.intValue() + " is not supported; this pgshift reads version " + VERSION);
        }
        String migration = text(root, "migration", true);
        if (!migration.equals(expectedMigration)) {
            throw new ForeignMigrationException("the command is for migration '" + migration + "', not '" + expectedMigration + "'");
        }
        String id = text(root, "id", true);
        if (id.isBlank() || id.length() > 200) {
            throw new InvalidCommandException("'id' must be 1 to 200 characters");
        }
        String command = text(root, "command", true);
        Type type = Type.fromWire(command);
        if (type == null) {
            throw new InvalidCommandException("unknown command '" + command + "'; known: cutover, abort, validate");
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!COMMON.contains(f) && !type.options.contains(f)) {
                unknown.add(f);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidCommandException("unknown field(s) " + unknown + " for command '" + command + "'; it takes " + new java.util.TreeSet<>(type.options)
                    + " besides " + new java.util.TreeSet<>(COMMON));
        }
        boolean freeze = bool(root, "freezeSource");
        boolean cleanup = bool(root, "cleanup");
        int timeout = DEFAULT_TIMEOUT_SECONDS;
        JsonNode t = root.get("timeoutSeconds");
        if (t != null) {
            if (!t.isInt() || t.intValue() < 1 || t.intValue() > 86_400) {
                throw new InvalidCommandException("'timeoutSeconds' must be a whole number from 1 to 86400, not " + t);
            }
            timeout = t.intValue();
        }
        Instant sentAt = null;
        String sent = text(root, "sentAt", false);
        if (sent != null) {
            try {
                sentAt = Instant.parse(sent);
            }
            catch (java.time.format.DateTimeParseException e) {
                throw new InvalidCommandException("'sentAt' is not an ISO-8601 instant such as 2026-11-24T10:15:30Z: " + preview(sent));
            }
        }
        return new ControlCommand(migration, id, type, freeze, cleanup, timeout, sentAt, text(root, "sentBy", false));
    }

    private static String text(JsonNode root, String field, boolean required) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw new InvalidCommandException("'" + field + "' is missing");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidCommandException("'" + field + "' must be a string, not " + preview(n.toString()));
        }
        return n.textValue();
    }

    private static boolean bool(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw new InvalidCommandException("'" + field + "' must be true or false, not " + preview(n.toString()));
        }
        return n.booleanValue();
    }

    private static String preview(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 120 ? one.substring(0, 120) + "…" : one;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        }
        catch (java.io.IOException e) {
            return "unknown-host";
        }
    }

    /** Not a valid command: the message says what is wrong. */
    public static class InvalidCommandException extends RuntimeException {
        public InvalidCommandException(String message) {
            super(message);
        }
    }

    /** A valid-looking command of another migration. */
    public static final class ForeignMigrationException extends InvalidCommandException {
        public ForeignMigrationException(String message) {
            super(message);
        }
    }
}
