package io.pgshift.app.schema;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.Identifiers;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.TableSelection;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;

/**
 * Moves one database's schema with {@code pg_dump --schema-only --no-owner --no-privileges} (custom format) and
 * {@code pg_restore --section}: pre-data before the load, post-data after it. Only the selected tables (with their
 * partitions) are in the dump; every other object of the database comes along. The pre-data section is applied in one
 * transaction that stops at the first error, which is reported with the statement that failed. The post-data section builds
 * {@code indexJobs} indexes and constraints at once ({@code pg_restore --jobs}, which cannot run in one transaction: what a
 * failed attempt built is dropped by the next before it starts, by pgshift for the tables' indexes, constraints and triggers, whose
 * partitions' copies {@code --clean} cannot drop in the right order, and by {@code pg_restore --clean --if-exists} for the rest), or
 * with one job in one transaction too. Applying a section again is safe: what pgshift applied is recorded in
 * {@code pgshift.schema_sections} in the target database, and a target that already has the objects is left alone and said so.
 * Passwords travel in the environment of the client programs, never on their command lines.
 */
public final class SchemaMigrator {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);
    private static final Duration TOOL_TIMEOUT = Duration.ofHours(6);

    /** What applying a section did. */
    public record Outcome(SchemaSection section, boolean applied, String message) {
    }

    private final PgEndpoint source;
    private final String sourceDb;
    private final PgEndpoint target;
    private final String targetDb;
    private final TableSelection selection;
    private final Path workDir;
    private final int indexJobs;

    /** {@code indexJobs}: how many indexes and constraints the post-data section builds at once (1: in one transaction). */
    public SchemaMigrator(PgEndpoint source, String sourceDb, PgEndpoint target, String targetDb, TableSelection selection, Path workDir,
                          int indexJobs) {
        if (indexJobs < 1) {
            throw new IllegalArgumentException("indexJobs must be at least 1, was " + indexJobs);
        }
        this.indexJobs = indexJobs;
        this.source = source;
        this.sourceDb = sourceDb;
        this.target = target;
        this.targetDb = targetDb;
        this.selection = selection;
        this.workDir = workDir;
    }

    /** Applies one section, unless it is already in the target database; says which. */
    public Outcome apply(SchemaSection section) throws SQLException, IOException {
        return section == SchemaSection.PRE_DATA ? applyPreData() : applyPostData();
    }

    /** Creates the target database when it does not exist; returns whether it did. */
    public static boolean ensureDatabase(PgEndpoint target, String database) throws SQLException {
        try (Connection c = target.connect("postgres", "pgshift-schema");
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return false;
                }
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + Identifiers.quote(database));
                LOG.info("Created target database '{}'", database);
                return true;
            }
        }
    }

    Outcome applyPreData() throws SQLException, IOException {
        ensureDatabase(target, targetDb);
        List<TableId> selected = selectedSourceTables();
        try (Connection t = target.connect(targetDb, "pgshift-schema")) {
            Optional<String> recorded = recorded(t, SchemaSection.PRE_DATA);
            if (recorded.isPresent()) {
                return said(new Outcome(SchemaSection.PRE_DATA, false, "pre-data of '" + sourceDb + "' is already in target database '" + targetDb
                        + "' (" + recorded.get() + "): nothing to do"));
            }
            List<TableId> present = new ArrayList<>();
            for (TableId table : selected) {
                if (exists(t, table)) {
                    present.add(table);
                }
            }
            if (!present.isEmpty() && present.size() == selected.size()) {
                record(t, SchemaSection.PRE_DATA, "found");
                return said(new Outcome(SchemaSection.PRE_DATA, false, "target database '" + targetDb + "' already has all " + selected.size()
                        + " selected tables of '" + sourceDb + "' (created before pgshift ran): pre-data left as it is"));
            }
            if (!present.isEmpty()) {
                List<TableId> missing = new ArrayList<>(selected);
                missing.removeAll(present);
                throw new IllegalStateException("Target database '" + targetDb + "' has " + present.size() + " of the " + selected.size()
                        + " selected tables of '" + sourceDb + "' but not " + abbreviate(missing) + ". pgshift applies the pre-data section only to a"
                        + " database without them: drop the partial schema in '" + targetDb + "' (or create the missing tables yourself), then run"
                        + " 'pgshift schema' again.");
            }
        }
        Path dump = dump(selected);
        restore(dump, SchemaSection.PRE_DATA);
        try (Connection t = target.connect(targetDb, "pgshift-schema")) {
            record(t, SchemaSection.PRE_DATA, "applied");
        }
        return said(new Outcome(SchemaSection.PRE_DATA, true, "pre-data of '" + sourceDb + "' applied to target database '" + targetDb + "' ("
                + selected.size() + " tables and the types, functions, views and sequences; dump " + dump + ")"));
    }

    Outcome applyPostData() throws SQLException, IOException {
        List<TableId> selected = selectedSourceTables();
        Map<String, String> buildSettings;
        Set<String> wanted;
        try (Connection t = target.connect(targetDb, "pgshift-schema")) {
            Optional<String> recorded = recorded(t, SchemaSection.POST_DATA);
            if (recorded.isPresent()) {
                return said(new Outcome(SchemaSection.POST_DATA, false, "post-data of '" + sourceDb + "' is already in target database '" + targetDb
                        + "' (" + recorded.get() + "): nothing to do"));
            }
            try (Connection s = source.connect(sourceDb, "pgshift-schema")) {
                wanted = postDataObjects(s, selected);
            }
            Set<String> have = postDataObjects(t, selected);
            if (!wanted.isEmpty() && have.containsAll(wanted)) {
                record(t, SchemaSection.POST_DATA, "found");
                return said(new Outcome(SchemaSection.POST_DATA, false, "target database '" + targetDb + "' already has all " + wanted.size()
                        + " indexes, constraints and triggers of the selected tables of '" + sourceDb + "': post-data left as it is"));
            }
            long present = have.stream().filter(wanted::contains).count();
            if (present > 0 && indexJobs == 1) {
                LOG.warn("Target database '{}' already has {} of the {} indexes, constraints and triggers of '{}': applying post-data may stop at the"
                        + " first of them", targetDb, present, wanted.size(), sourceDb);
            }
            buildSettings = indexBuildSettings(t);
        }
        Path dump = dump(selected);
        long t0 = System.nanoTime();
        if (indexJobs > 1) {
            dropPresentPostData(selected, wanted);
            dropUnattachedPartitionIndexes(selected);
        }
        if (!buildSettings.isEmpty()) {
            LOG.info("Schema: post-data of '{}' builds its indexes with {} (the target's own settings are lower)", sourceDb, buildSettings);
        }
        restore(dump, SchemaSection.POST_DATA, buildSettings, indexJobs);
        List<String> refreshed = refreshMaterializedViews();
        try (Connection t = target.connect(targetDb, "pgshift-schema")) {
            record(t, SchemaSection.POST_DATA, "applied");
        }
        return said(new Outcome(SchemaSection.POST_DATA, true, "post-data of '" + sourceDb + "' applied to target database '" + targetDb + "' in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms (indexes, constraints, foreign keys, triggers" + (refreshed.isEmpty() ? ""
                        : "; materialized views refreshed: " + refreshed) + ")"));
    }

    private static Outcome said(Outcome outcome) {
        LOG.info("Schema: {}", outcome.message());
        return outcome;
    }

    /** The selected top-level tables of the source database. */
    private List<TableId> selectedSourceTables() throws SQLException {
        try (Connection s = source.connect(sourceDb, "pgshift-schema")) {
            return Catalog.selectedTables(s, selection).stream().map(TableInfo::id).collect(Collectors.toList());
        }
    }

    /** Dumps the schema of the selected tables and of everything else but other tables, in custom format. */
    Path dump(List<TableId> selectedTables) throws SQLException, IOException {
        List<String> excluded = new ArrayList<>();
        Set<TableId> selected = new HashSet<>(selectedTables);
        try (Connection s = source.connect(sourceDb, "pgshift-schema")) {
            try (Statement st = s.createStatement(); ResultSet rs = st.executeQuery(SqlResource.load("/io/pgshift/app/schema/dump-exclusions.sql"))) {
                while (rs.next()) {
                    if (!selected.contains(new TableId(rs.getString("root_schema"), rs.getString("root_name")))) {
                        excluded.add(exactPattern(rs.getString("schema_name"), rs.getString("table_name")));
                    }
                }
            }
        }
        Files.createDirectories(workDir);
        Path dump = workDir.resolve("schema-" + sourceDb.replaceAll("[^A-Za-z0-9_.-]", "_") + ".dump");
        List<String> command = new ArrayList<>(List.of(ClientTools.locate("pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
                "--no-publications", "--no-subscriptions", "--format=custom", "--exclude-schema=pgshift", "--file=" + dump));
        excluded.forEach(p -> command.add("--exclude-table=" + p));
        String what = "dumping the schema of source database '" + sourceDb + "'";
        ClientTools.Result r = ClientTools.run(command, source.libpqEnvironment(sourceDb), TOOL_TIMEOUT, what);
        if (r.exitCode() != 0) {
            String hint = r.output().contains("server version mismatch") ? " " + ClientTools.INSTALL_HINT + "." : "";
            throw new IOException("Failed " + what + " (pg_dump exit " + r.exitCode() + "): " + r.output() + hint);
        }
        LOG.debug("Dumped the schema of '{}' to {} ({} tables left out)", sourceDb, dump, excluded.size());
        return dump;
    }

    /** A pg_dump pattern that matches exactly this table: both parts double-quoted, where no character is special. */
    static String exactPattern(String schema, String table) {
        return "\"" + schema.replace("\"", "\"\"") + "\".\"" + table.replace("\"", "\"\"") + "\"";
    }

    /**
     * Session settings for the post-data section's index builds, only where they raise the target's own: PostgreSQL builds each
     * B-tree index with parallel workers ({@code max_parallel_maintenance_workers}, up to 4 and never more than the server's
     * {@code max_parallel_workers}) sharing {@code maintenance_work_mem} (at least 256 MB, for each of the section's jobs).
     */
    public static Map<String, String> indexBuildSettings(Connection target) throws SQLException {
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        try (Statement st = target.createStatement();
             ResultSet rs = st.executeQuery("SELECT name, setting::bigint FROM pg_settings WHERE name IN"
                     + " ('maintenance_work_mem', 'max_parallel_maintenance_workers', 'max_parallel_workers')")) {
            Map<String, Long> current = new java.util.HashMap<>();
            while (rs.next()) {
                current.put(rs.getString(1), rs.getLong(2));
            }
            if (current.getOrDefault("maintenance_work_mem", Long.MAX_VALUE) < 256L * 1024) { // kB
                settings.put("maintenance_work_mem", "256MB");
            }
            long workers = Math.min(4, current.getOrDefault("max_parallel_workers", 0L));
            if (current.getOrDefault("max_parallel_maintenance_workers", Long.MAX_VALUE) < workers) {
                settings.put("max_parallel_maintenance_workers", Long.toString(workers));
            }
        }
        return settings;
    }

    private void restore(Path dump, SchemaSection section) throws IOException {
        restore(dump, section, Map.of(), 1);
    }

    /** {@code pg_restore} of one section: with one job in one transaction, else with {@code jobs} connections. */
    private void restore(Path dump, SchemaSection section, Map<String, String> settings, int jobs) throws IOException {
        List<String> command = new ArrayList<>(List.of(ClientTools.locate("pg_restore"), "--section=" + section.label(), "--no-owner",
                "--no-privileges", "--exit-on-error", "--dbname=" + targetDb));
        // With jobs, --clean drops (if they exist) the section's objects that pgshift's own drops do not cover: indexes of materialized
        // views, policies, statistics, rules.
        command.addAll(jobs > 1 ? List.of("--jobs=" + jobs, "--clean", "--if-exists") : List.of("--single-transaction"));
        command.add("--use-list=" + withoutPgshiftEventTriggers(dump));
        command.add(dump.toString());
        String what = "applying the " + section + " section of '" + sourceDb + "' to target database '" + targetDb + "'";
        Map<String, String> env = new java.util.LinkedHashMap<>(target.libpqEnvironment(targetDb));
        if (!settings.isEmpty()) {
            env.put("PGOPTIONS", settings.entrySet().stream().map(e -> "-c " + e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
        }
        ClientTools.Result r = ClientTools.run(command, env, TOOL_TIMEOUT, what);
        if (r.exitCode() != 0) {
            throw new IOException(restoreFailure(what, r.output(), jobs == 1));
        }
    }

    /**
     * The dump's table of contents ({@code pg_restore --list}) without pgshift's own event triggers (its DDL capture on the source,
     * {@code pgshift_*}), which pg_dump includes though their functions live in the excluded schema pgshift; the application's event
     * triggers stay. Written next to the dump, as {@code --use-list} reads it.
     */
    private Path withoutPgshiftEventTriggers(Path dump) throws IOException {
        Path list = dump.resolveSibling(dump.getFileName() + ".list");
        ClientTools.Result r = ClientTools.run(List.of(ClientTools.locate("pg_restore"), "--list", dump.toString()), Map.of(), TOOL_TIMEOUT,
                "listing the contents of " + dump);
        if (r.exitCode() != 0) {
            throw new IOException("Cannot list the contents of the schema dump " + dump + ": " + r.output());
        }
        String kept = r.output().lines().filter(l -> l.matches("^\\d+;.*") && !l.matches("^\\d+;.* EVENT TRIGGER - pgshift_\\S+ .*$"))
                .collect(Collectors.joining("\n", "", "\n"));
        java.nio.file.Files.writeString(list, kept);
        return list;
    }

    /**
     * The operator's message for a failed {@code pg_restore}: the error and the statement that failed (which
     * pg_restore prints after "Command was:"); in one transaction nothing of the section was applied, else what was built is dropped
     * and built again by the next attempt.
     */
    static String restoreFailure(String what, String output, boolean oneTransaction) {
        String error = output;
        String statement = null;
        int cmd = output.indexOf("Command was:");
        if (cmd >= 0) {
            statement = output.substring(cmd + "Command was:".length()).strip();
            error = output.substring(0, cmd).strip();
        }
        error = error.replaceAll("(?m)^pg_restore: (error: )?", "").replaceAll("(?m)^(while PROCESSING TOC:|processing item .*|from TOC entry .*)\\R?", "").strip();
        StringBuilder b = new StringBuilder("Failed ").append(what).append(": ").append(error);
        if (statement != null) {
            b.append("\nThe statement that failed:\n").append(statement);
        }
        b.append(oneTransaction ? "\nNothing of this section was applied (it runs in one transaction)."
                : "\nWhat this section built before the failure stays; the next attempt drops it and builds it again.");
        b.append(" Fix the cause in the target database, then run 'pgshift schema' again.");
        return b.toString();
    }

    /**
     * Refreshes every materialized view of the target database: the schema creates them empty, and their contents
     * are not streamed. A view built on another is refreshed after it (views that fail are tried again while any succeed).
     */
    List<String> refreshMaterializedViews() throws SQLException {
        List<String> pending = new ArrayList<>();
        try (Connection t = target.connect(targetDb, "pgshift-schema"); Statement st = t.createStatement();
             ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, matviewname) FROM pg_matviews WHERE schemaname <> 'pgshift' ORDER BY 1")) {
            while (rs.next()) {
                pending.add(rs.getString(1));
            }
        }
        List<String> refreshed = new ArrayList<>();
        SQLException last = null;
        while (!pending.isEmpty()) {
            List<String> failed = new ArrayList<>();
            try (Connection t = target.connect(targetDb, "pgshift-schema"); Statement st = t.createStatement()) {
                for (String view : pending) {
                    try {
                        st.execute("REFRESH MATERIALIZED VIEW " + view);
                        refreshed.add(view);
                    }
                    catch (SQLException e) {
                        failed.add(view);
                        last = e;
                    }
                }
            }
            if (failed.size() == pending.size()) {
                throw new SQLException("Cannot refresh materialized views " + failed + " in target database '" + targetDb + "': "
                        + last.getMessage(), last.getSQLState(), last);
            }
            pending = failed;
        }
        return refreshed;
    }

    /** The indexes, constraints and triggers of these tables (their partitions' own are left out: they follow the parent's). */
    private Set<String> postDataObjects(Connection c, List<TableId> tables) throws SQLException {
        return postDataObjectList(c, tables).stream().map(PostDataObject::key).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** An index, constraint, foreign key or trigger of a table, as the post-data section creates it. */
    private record PostDataObject(String kind, TableId table, String name) {
        String key() {
            return kind + " " + table.schema() + "." + name;
        }

        /** The statement that drops it (a partitioned table's drops its partitions' too). */
        String dropSql() {
            return switch (kind) {
                case "trigger" -> "DROP TRIGGER IF EXISTS " + Identifiers.quote(name) + " ON " + table.quoted();
                case "index" -> "DROP INDEX IF EXISTS " + new TableId(table.schema(), name).quoted();
                default -> "ALTER TABLE " + table.quoted() + " DROP CONSTRAINT IF EXISTS " + Identifiers.quote(name);
            };
        }
    }

    private List<PostDataObject> postDataObjectList(Connection c, List<TableId> tables) throws SQLException {
        Set<TableId> selected = new HashSet<>(tables);
        List<PostDataObject> objects = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SqlResource.load("/io/pgshift/app/schema/post-data-objects.sql"))) {
            while (rs.next()) {
                TableId table = new TableId(rs.getString("schema_name"), rs.getString("table_name"));
                if (selected.contains(table)) {
                    objects.add(new PostDataObject(rs.getString("kind"), table, rs.getString("name")));
                }
            }
        }
        return objects;
    }

    /**
     * Before a post-data section with several jobs, which cannot run in one transaction: drops, in one transaction, what an earlier
     * attempt (or a hand) built of it on the target, so that the section starts from none of its objects. Foreign keys go first, then
     * triggers, constraints and indexes (those of a partitioned table take their partitions' along).
     */
    private void dropPresentPostData(List<TableId> selected, Set<String> wanted) throws SQLException {
        List<String> order = List.of("foreign key", "trigger", "constraint", "index");
        try (Connection t = target.connect(targetDb, "pgshift-schema")) {
            List<PostDataObject> present = postDataObjectList(t, selected).stream().filter(o -> wanted.contains(o.key()))
                    .sorted(java.util.Comparator.comparingInt(o -> order.indexOf(o.kind()))).toList();
            if (present.isEmpty()) {
                return;
            }
            t.setAutoCommit(false);
            try (Statement st = t.createStatement()) {
                for (PostDataObject o : present) {
                    st.execute(o.dropSql());
                }
                t.commit();
            }
            catch (SQLException e) {
                t.rollback();
                throw new SQLException("Cannot drop what an earlier attempt of the post-data section built in target database '" + targetDb
                        + "' (nothing was dropped): " + e.getMessage() + ". Drop the objects it names by hand, or set load.indexJobs: 1.",
                        e.getSQLState(), e);
            }
            LOG.warn("Target database '{}' had {} of the indexes, constraints and triggers of '{}' (an earlier attempt, or made by hand):"
                    + " dropped them, to build the whole post-data section as the source has it", targetDb, present.size(), sourceDb);
        }
    }

    /**
     * Before a post-data section with several jobs: drops, in one transaction, the indexes (and the constraints they back) of the
     * selected tables' partitions that a failed earlier attempt built but did not attach, and that the source has too. pg_restore
     * --clean leaves them, since a partition's index has no DROP of its own in a dump.
     */
    private void dropUnattachedPartitionIndexes(List<TableId> selected) throws SQLException {
        Set<TableId> roots = new HashSet<>(selected);
        List<String> drops = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (Connection t = target.connect(targetDb, "pgshift-schema"); Connection s = source.connect(sourceDb, "pgshift-schema")) {
            try (Statement st = t.createStatement();
                 ResultSet rs = st.executeQuery(SqlResource.load("/io/pgshift/app/schema/unattached-partition-indexes.sql"));
                 PreparedStatement sourceHas = s.prepareStatement("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                         + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('i', 'I')")) {
                while (rs.next()) {
                    if (!roots.contains(new TableId(rs.getString("root_schema"), rs.getString("root_name")))) {
                        continue;
                    }
                    sourceHas.setString(1, rs.getString("schema_name"));
                    sourceHas.setString(2, rs.getString("index_name"));
                    try (ResultSet has = sourceHas.executeQuery()) {
                        if (!has.next()) {
                            continue; // not the source's: somebody's own index, left alone
                        }
                    }
                    TableId partition = new TableId(rs.getString("schema_name"), rs.getString("table_name"));
                    String constraint = rs.getString("constraint_name");
                    drops.add(constraint != null ? "ALTER TABLE " + partition.quoted() + " DROP CONSTRAINT " + Identifiers.quote(constraint)
                            : "DROP INDEX " + new TableId(rs.getString("schema_name"), rs.getString("index_name")).quoted());
                    names.add(rs.getString("schema_name") + "." + rs.getString("index_name"));
                }
            }
            if (drops.isEmpty()) {
                return;
            }
            t.setAutoCommit(false);
            try (Statement st = t.createStatement()) {
                for (String sql : drops) {
                    st.execute(sql);
                }
            }
            t.commit();
        }
        LOG.warn("Target database '{}' had indexes of partitions that an earlier post-data attempt built but did not attach: dropped {}, to"
                + " build them again", targetDb, names);
    }

    private static boolean exists(Connection c, TableId table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private Optional<String> recorded(Connection c, SchemaSection section) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/schema/schema-sections.sql"));
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT outcome, done_at FROM pgshift.schema_sections WHERE source_database = ? AND section = ?")) {
            ps.setString(1, sourceDb);
            ps.setString(2, section.label());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(("applied".equals(rs.getString(1)) ? "applied by pgshift" : "found there by pgshift") + " at "
                        + rs.getObject(2, java.time.OffsetDateTime.class)) : Optional.empty();
            }
        }
    }

    private void record(Connection c, SchemaSection section, String outcome) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgshift.schema_sections (source_database, section, outcome) VALUES (?, ?, ?)"
                + " ON CONFLICT (source_database, section) DO UPDATE SET outcome = excluded.outcome, done_at = now()")) {
            ps.setString(1, sourceDb);
            ps.setString(2, section.label());
            ps.setString(3, outcome);
            ps.executeUpdate();
        }
    }

    /** Whether post-data is recorded as in the target database (applied or found). */
    public boolean postDataDone() throws SQLException {
        try (Connection t = target.connect(targetDb, "pgshift-schema")) {
            return recorded(t, SchemaSection.POST_DATA).isPresent();
        }
    }

    private static String abbreviate(List<TableId> tables) {
        return tables.size() <= 10 ? tables.toString() : tables.subList(0, 10) + " and " + (tables.size() - 10) + " more";
    }
}
