package io.pgshift.source;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.Identifiers;
import io.pgshift.core.SqlResource;
import io.pgshift.core.Transactions;
import io.pgshift.core.TableId;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;

/**
 * Prepares a source database for capture: pgshift's fence table, and a publication holding exactly the
 * selected tables plus the fence table. Partitioned tables are published through their root
 * ({@code publish_via_partition_root}, PostgreSQL 13+), so changes to partitions arrive under the parent.
 */
public final class SourceSetup {

    private static final Logger LOG = LoggerFactory.getLogger(SourceSetup.class);
    public static final TableId FENCE_TABLE = new TableId("pgshift", "fence");
    /** Where the DDL capture ({@link #installDdlCapture}) writes each schema change. */
    public static final TableId DDL_TABLE = new TableId("pgshift", "ddl");

    private SourceSetup() {
    }

    /**
     * Returns the selected tables. Fails when a selected table's replica identity is not usable
     * ({@link TableInfo#replicaIdentityProblem()}): its updates and deletes would carry nothing to find the row by,
     * and once the table is in the publication PostgreSQL would refuse them on the source.
     */
    public static List<TableInfo> prepare(Connection connection, CaptureConfig config) throws SQLException {
        List<TableInfo> tables = Catalog.selectedTables(connection, config.selection());
        if (tables.isEmpty()) {
            throw new IllegalStateException("No table of source database '" + config.database() + "' matches the selection ("
                    + config.selection() + "): check 'tables.include' and 'tables.exclude' in the configuration");
        }
        List<String> unusable = tables.stream().filter(t -> t.replicaIdentityProblem().isPresent())
                .map(t -> t.id() + " (" + t.replicaIdentityProblem().get() + ")").collect(Collectors.toList());
        if (!unusable.isEmpty()) {
            throw new IllegalStateException("These selected tables of source database '" + config.database() + "' cannot be replicated: "
                    + unusable + ". Add a primary key that is not DEFERRABLE, or run ALTER TABLE ... REPLICA IDENTITY FULL on each relation named"
                    + " (a partition where one is named; rows are then matched on every column, one at a time; 'pgshift check"
                    + " --fix-replica-identity' does this), or leave them out with 'tables.exclude'.");
        }
        Map<TableId, String> inexact = Catalog.notCarriedExactly(connection, tables);
        if (!inexact.isEmpty()) {
            throw new IllegalStateException("These selected tables of source database '" + config.database() + "' cannot be migrated exactly: "
                    + inexact.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining(", "))
                    + ". Add a primary key (or a unique index on NOT NULL columns, and REPLICA IDENTITY USING INDEX) or a column, or leave them"
                    + " out with 'tables.exclude' and copy them during the cutover.");
        }
        // Nothing is written when everything is in place: a restart must work while a cutover holds the source frozen
        // (default_transaction_read_only), where CREATE ... IF NOT EXISTS fails before it looks. What must change is written in a
        // READ WRITE transaction of pgshift's own, as fences are.
        if (!fenceTableExists(connection)) {
            Transactions.readWrite(connection, st -> st.execute(SqlResource.load("/io/pgshift/source/sql/source-setup.sql")));
        }
        boolean ddl = false;
        if (config.captureDdl()) {
            if (canInstallDdlCapture(connection)) {
                boolean installed = ddlCaptureInstalled(connection);
                installDdlCapture(connection); // idempotent: an installed capture of an earlier pgshift is brought up to date
                if (!installed) {
                    LOG.info("Schema changes in source database '{}' are captured (event triggers pgshift_capture_ddl, pgshift_note_dropped) and"
                            + " carried to the target in order with the data", config.database());
                }
                writeCaptureSettings(connection, config.names().publicationName(config.database()), config.selection());
                ddl = true;
            }
            else {
                LOG.warn("Schema changes in source database '{}' are not captured: role '{}' is not a superuser, and only a superuser may create"
                        + " event triggers. Run each schema change on the target too, before the changes that need it arrive.", config.database(),
                        config.source().user());
            }
        }
        ensurePublication(connection, config.names().publicationName(config.database()), tables, ddl);
        return tables;
    }

    /**
     * Writes what a table created on the source must match to join the migration ({@code pgshift.capture_settings}, read by the DDL
     * capture): the publication, and the selection's patterns as LIKE patterns over {@code schema.table}.
     */
    static void writeCaptureSettings(Connection connection, String publication, io.pgshift.core.TableSelection selection) throws SQLException {
        Transactions.readWrite(connection, st -> {
            st.execute("DELETE FROM pgshift.capture_settings");
            try (java.sql.PreparedStatement ps = connection.prepareStatement("INSERT INTO pgshift.capture_settings (publication, include, exclude) VALUES (?, ?, ?)")) {
                ps.setString(1, publication);
                ps.setArray(2, connection.createArrayOf("text", selection.include().stream().map(SourceSetup::likePattern).toArray()));
                ps.setArray(3, connection.createArrayOf("text", selection.exclude().stream().map(SourceSetup::likePattern).toArray()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** A selection pattern ({@code *} for any run of characters) as a LIKE pattern with the default escape character. */
    static String likePattern(String glob) {
        StringBuilder b = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> b.append('%');
                case '%', '_', '\\' -> b.append('\\').append(ch);
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    /**
     * Whether this session may install the DDL capture: event triggers need a superuser (PostgreSQL: CREATE EVENT TRIGGER), or it is
     * installed already.
     */
    public static boolean canInstallDdlCapture(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT rolsuper OR EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgshift_capture_ddl') FROM pg_roles WHERE rolname = current_user")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /**
     * Installs the DDL capture in the source database ({@code ddl-capture.sql}): the table {@link #DDL_TABLE} and the event triggers
     * {@code pgshift_note_dropped} (sql_drop) and {@code pgshift_capture_ddl} (ddl_command_end) that write a row per DDL command, with
     * its query string, its place in it, its tag, the search_path and the tables it touches, in the command's own transaction.
     * Idempotent; written in a READ WRITE transaction of its own. Needs a superuser ({@link #canInstallDdlCapture}).
     */
    public static void installDdlCapture(Connection connection) throws SQLException {
        Transactions.readWrite(connection, st -> st.execute(SqlResource.load("/io/pgshift/source/sql/ddl-capture.sql")));
    }

    /**
     * Removes the DDL capture when it is installed (its event triggers first, then its functions and table), and says whether it was.
     * Needs a superuser, as installing it did.
     */
    public static boolean uninstallDdlCapture(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_event_trigger WHERE evtname IN ('pgshift_capture_ddl', 'pgshift_note_dropped')")) {
            rs.next();
            if (rs.getInt(1) == 0 && !exists(st, "SELECT to_regclass('pgshift.ddl') IS NOT NULL")) {
                return false;
            }
        }
        st.execute("DROP EVENT TRIGGER IF EXISTS pgshift_capture_ddl");
        st.execute("DROP EVENT TRIGGER IF EXISTS pgshift_note_dropped");
        st.execute("DROP FUNCTION IF EXISTS pgshift.capture_ddl()");
        st.execute("DROP FUNCTION IF EXISTS pgshift.note_dropped()");
        st.execute("DROP TABLE IF EXISTS pgshift.ddl");
        return true;
    }

    private static boolean exists(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static boolean fenceTableExists(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('pgshift.fence') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Whether the DDL capture's event trigger and table are there (then nothing is written: a frozen source must not stop a restart). */
    static boolean ddlCaptureInstalled(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement()) {
            return exists(st, "SELECT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgshift_capture_ddl') AND to_regclass('pgshift.ddl') IS NOT NULL");
        }
    }

    private static void ensurePublication(Connection connection, String publication, List<TableInfo> tables, boolean ddl) throws SQLException {
        List<String> names = new ArrayList<>();
        for (TableInfo t : tables) {
            // ONLY for a plain table: without it PostgreSQL also publishes its inheritance children, whose writes would then need a
            // replica identity of their own (or fail on the source), though they are not selected. A partitioned table's
            // partitions are published with it either way, under its name (publish_via_partition_root).
            names.add(t.partitioned() ? t.id().quoted() : "ONLY " + t.id().quoted());
        }
        names.add(FENCE_TABLE.quoted());
        if (ddl) {
            names.add(DDL_TABLE.quoted());
        }
        String tableList = String.join(", ", names);
        boolean exists;
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        if (exists && publishedAsWanted(connection, publication, tables, ddl)) {
            LOG.info("Publication {} holds the {} selected tables", publication, tables.size());
            return;
        }
        Transactions.readWrite(connection, st -> {
            if (exists) {
                st.execute("ALTER PUBLICATION " + Identifiers.quote(publication) + " SET TABLE " + tableList);
                LOG.info("Publication {} now holds {} tables", publication, tables.size());
            }
            else {
                st.execute("CREATE PUBLICATION " + Identifiers.quote(publication) + " FOR TABLE " + tableList
                        + " WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)");
                LOG.info("Publication {} created for {} tables", publication, tables.size());
            }
            return null;
        });
    }

    /**
     * Whether the publication already holds exactly the selected tables and the fence table, as pgshift adds them: the relations in
     * {@code pg_publication_rel} (a partitioned table is one row there, its partitions are published through it; a table published
     * ONLY has no rows for its children), and the publication's options.
     */
    private static boolean publishedAsWanted(Connection connection, String publication, List<TableInfo> tables, boolean ddl) throws SQLException {
        java.util.Set<TableId> wanted = new java.util.HashSet<>();
        tables.forEach(t -> wanted.add(t.id()));
        wanted.add(FENCE_TABLE);
        if (ddl) {
            wanted.add(DDL_TABLE);
        }
        java.util.Set<TableId> published = new java.util.HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT n.nspname, c.relname, p.pubviaroot AND p.pubinsert"
                + " AND p.pubupdate AND p.pubdelete AND p.pubtruncate FROM pg_publication p JOIN pg_publication_rel r ON r.prpubid = p.oid"
                + " JOIN pg_class c ON c.oid = r.prrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!rs.getBoolean(3)) {
                        return false;
                    }
                    published.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return published.equals(wanted);
    }

    /** Whether the replication slot exists; a slot in use by another session is an error that names that session. */
    public static boolean slotExists(Connection connection, String slot) throws SQLException {
        return slotExists(connection, slot, false);
    }

    /**
     * Whether the replication slot exists.
     *
     * @param activeAllowed whether another session may be using it (the Debezium connector on Kafka Connect that streams this migration);
     *                      otherwise that is an error that names the session
     */
    public static boolean slotExists(Connection connection, String slot, boolean activeAllowed) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                if (rs.getBoolean(1) && !activeAllowed) {
                    throw new IllegalStateException("Replication slot " + slot + " is in use by server process " + rs.getInt(2)
                            + ": is another pgshift running this migration? Stop it first (or end that process with pg_terminate_backend).");
                }
                return true;
            }
        }
    }

    public static void dropSlot(Connection connection, String slot) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            ps.setString(1, slot);
            ps.execute();
        }
    }

    /** Rows of {@code pgshift.fence} kept; older ones are deleted with each heartbeat, so the table stays small. */
    static final int FENCES_KEPT = 1000;

    /** Deletes all but the newest {@link #FENCES_KEPT} fence rows. */
    public static void trimFences(Connection connection, long newestId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM pgshift.fence WHERE id <= ?")) {
            ps.setLong(1, newestId - FENCES_KEPT);
            ps.executeUpdate();
        }
    }

    /**
     * Inserts a fence row and returns its id. It must be the first statement of its transaction: the transaction is made
     * read-write, so fences and heartbeats go on while a cutover has frozen the source ({@code default_transaction_read_only}).
     */
    public static long insertFence(Connection connection, String kind) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("SET TRANSACTION READ WRITE");
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO pgshift.fence (kind) VALUES (?) RETURNING id")) {
            ps.setString(1, kind);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
