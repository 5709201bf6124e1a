package io.pgshift.app.check;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.schema.ClientTools;
import io.pgshift.core.Identifiers;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.TableId;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.sink.TargetNeutralization;

/**
 * The prerequisite checks of a migration: what {@code pgshift check} reports and {@code pgshift migrate} runs first.
 * Every check says what it found and, unless it passed, the fix. Checks that need a connection that failed are
 * left out (the connection's own FAIL says why). The checks only read, except {@code --fix-replica-identity}, which
 * sets {@code REPLICA IDENTITY FULL} on the tables that need it after saying so.
 */
public final class PrerequisiteChecks {

    private static final Logger LOG = LoggerFactory.getLogger(PrerequisiteChecks.class);
    private static final String SOURCE = "source";
    private static final String TARGET = "target";

    private final MigrationConfig config;
    private final boolean fixReplicaIdentity;
    private final Consumer<String> say;
    private final List<CheckResult> results = new ArrayList<>();

    /**
     * @param fixReplicaIdentity set REPLICA IDENTITY FULL on selected tables that have no usable replica identity
     * @param say                where to announce changes made to the source (the operator's terminal)
     */
    public PrerequisiteChecks(MigrationConfig config, boolean fixReplicaIdentity, Consumer<String> say) {
        this.config = config;
        this.fixReplicaIdentity = fixReplicaIdentity;
        this.say = say;
    }

    public CheckReport run() {
        results.clear();
        int sourceMajor = sourceServer();
        int targetMajor = targetServer(sourceMajor);
        tools(sourceMajor);
        kafka();
        if (config.viaConnect()) {
            connect();
        }
        if (sourceMajor > 0) {
            for (MigrationConfig.DatabaseMapping db : config.databases()) {
                sourceDatabase(db, sourceMajor, targetMajor);
            }
        }
        return new CheckReport(config.name(), results);
    }

    private void add(CheckResult r) {
        results.add(r);
        LOG.debug("{} {} [{}] {}", r.status(), r.check(), r.scope(), r.found());
    }

    // ---------------------------------------------------------------- source server

    /** Returns the source's major version, or 0 when it cannot be reached. */
    private int sourceServer() {
        String db = config.databases().get(0).source();
        try (Connection c = config.source().connect(db, "pgshift-check")) {
            int num = intQuery(c, "SELECT current_setting('server_version_num')::int");
            int major = num / 10000;
            add(CheckResult.pass("source.connection", SOURCE, "connected to PostgreSQL " + text(c, "SELECT current_setting('server_version')")
                    + " at " + config.source().host() + ":" + config.source().port() + " as '" + config.source().user() + "', " + tls(c, config.source())));
            if (major < 10) {
                add(CheckResult.fail("source.version", SOURCE, "PostgreSQL " + major + " has no pgoutput logical decoding",
                        "pgshift needs a source of PostgreSQL 10 or newer; upgrade the source in place first (pg_upgrade)"));
            }
            else {
                add(CheckResult.pass("source.version", SOURCE, "PostgreSQL " + major + " supports pgoutput logical decoding"));
            }
            String walLevel = text(c, "SELECT current_setting('wal_level')");
            if ("logical".equals(walLevel)) {
                add(CheckResult.pass("source.wal_level", SOURCE, "wal_level = logical"));
            }
            else {
                add(CheckResult.fail("source.wal_level", SOURCE, "wal_level = " + walLevel + ": logical decoding is off",
                        "ALTER SYSTEM SET wal_level = logical; then restart the source server (on RDS/Aurora: rds.logical_replication = 1 in the"
                                + " parameter group; on Azure: azure.replication_support = logical)"));
            }
            replicationCapacity(c, major);
            role(c);
            return major;
        }
        catch (SQLException e) {
            add(CheckResult.fail("source.connection", SOURCE, e.getMessage(), connectionFix(config.source(), e)));
            return 0;
        }
    }

    private void replicationCapacity(Connection c, int major) throws SQLException {
        int dbs = config.databases().size();
        int slotsMissing = 0;
        int sendersNeeded = 0;
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            String slot = config.names().slotName(db.source());
            try (PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        slotsMissing++;
                        sendersNeeded++;
                    }
                    else if (!rs.getBoolean(1)) {
                        sendersNeeded++;
                    }
                }
            }
        }
        int maxSlots = intQuery(c, "SELECT current_setting('max_replication_slots')::int");
        int usedSlots = intQuery(c, "SELECT count(*)::int FROM pg_replication_slots");
        int freeSlots = maxSlots - usedSlots;
        String slots = "needs " + dbs + " replication slot" + (dbs == 1 ? "" : "s") + " (" + slotsMissing + " to create); "
                + freeSlots + " of max_replication_slots = " + maxSlots + " free";
        if (freeSlots < slotsMissing) {
            add(CheckResult.fail("source.replication_slots", SOURCE, slots, "raise max_replication_slots to at least " + (usedSlots + slotsMissing)
                    + " (ALTER SYSTEM SET max_replication_slots = " + (usedSlots + slotsMissing) + "; restart), or drop unused slots"
                    + " (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active AND ...)"));
        }
        else {
            add(CheckResult.pass("source.replication_slots", SOURCE, slots));
        }
        int maxSenders = intQuery(c, "SELECT current_setting('max_wal_senders')::int");
        int usedSenders = intQuery(c, "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'walsender'");
        int freeSenders = maxSenders - usedSenders;
        String senders = "needs " + sendersNeeded + " more WAL sender" + (sendersNeeded == 1 ? "" : "s") + " (one per database); " + freeSenders
                + " of max_wal_senders = " + maxSenders + " free";
        if (freeSenders < sendersNeeded) {
            add(CheckResult.fail("source.wal_senders", SOURCE, senders, "raise max_wal_senders to at least " + (usedSenders + sendersNeeded)
                    + " (ALTER SYSTEM SET max_wal_senders = " + (usedSenders + sendersNeeded) + "; restart)"));
        }
        else {
            add(CheckResult.pass("source.wal_senders", SOURCE, senders));
        }
        if (major < 13) {
            add(CheckResult.warn("source.slot_wal_limit", SOURCE, "PostgreSQL " + major + " cannot limit the WAL a replication slot retains",
                    "while pgshift is stopped or behind, the source keeps all WAL since its slot's position: watch the disk and"
                            + " pg_replication_slots, and drop the slot (pgshift cleanup) if you abandon the migration"));
            return;
        }
        String keep = text(c, "SELECT current_setting('max_slot_wal_keep_size')");
        if ("-1".equals(keep)) {
            add(CheckResult.warn("source.slot_wal_limit", SOURCE, "max_slot_wal_keep_size = -1: a replication slot may retain WAL without limit",
                    "if pgshift stops or falls behind, WAL accumulates until the source's disk is full; set a limit larger than the WAL"
                            + " written during the full load plus the longest pause you accept (ALTER SYSTEM SET max_slot_wal_keep_size = '50GB';"
                            + " SELECT pg_reload_conf()), and watch pgshift's lag"));
        }
        else {
            add(CheckResult.pass("source.slot_wal_limit", SOURCE, "max_slot_wal_keep_size = " + keep + ": a slot retaining more is invalidated,"
                    + " and the migration must then start its load again; keep it above the WAL written during the load"));
        }
    }

    private void role(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT rolsuper, rolreplication,"
                + " EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_replication') AND pg_has_role('rds_replication', 'MEMBER')"
                + " FROM pg_roles WHERE rolname = current_user")) {
            rs.next();
            String user = config.source().user();
            if (rs.getBoolean(1)) {
                add(CheckResult.pass("source.replication_role", SOURCE, "'" + user + "' is a superuser"));
            }
            else if (rs.getBoolean(2) || rs.getBoolean(3)) {
                add(CheckResult.pass("source.replication_role", SOURCE, "'" + user + "' has " + (rs.getBoolean(2) ? "REPLICATION" : "rds_replication")));
            }
            else {
                add(CheckResult.fail("source.replication_role", SOURCE, "'" + user + "' has neither REPLICATION nor superuser: it cannot create"
                        + " a replication slot or stream changes", "ALTER ROLE " + Identifiers.quote(user) + " REPLICATION; (on RDS/Aurora: GRANT"
                        + " rds_replication TO " + Identifiers.quote(user) + ";)"));
            }
        }
    }

    // ---------------------------------------------------------------- target server, tools, Kafka

    private int targetServer(int sourceMajor) {
        try (Connection c = config.target().connect("postgres", "pgshift-check")) {
            int major = intQuery(c, "SELECT current_setting('server_version_num')::int") / 10000;
            add(CheckResult.pass("target.connection", TARGET, "connected to PostgreSQL " + text(c, "SELECT current_setting('server_version')")
                    + " at " + config.target().host() + ":" + config.target().port() + " as '" + config.target().user() + "', " + tls(c, config.target())));
            if (sourceMajor > 0 && major < sourceMajor) {
                add(CheckResult.fail("target.version", TARGET, "the target runs PostgreSQL " + major + ", older than the source's " + sourceMajor,
                        "migrate to a server of PostgreSQL " + sourceMajor + " or newer: a schema and data of a newer server may not load into an older one"));
            }
            else if (sourceMajor > 0) {
                add(CheckResult.pass("target.version", TARGET, "PostgreSQL " + major + (major == sourceMajor ? ", the source's major version"
                        : ", newer than the source's " + sourceMajor)));
            }
            targetPrivileges(c, major);
            return major;
        }
        catch (SQLException e) {
            add(CheckResult.fail("target.connection", TARGET, e.getMessage(), connectionFix(config.target(), e)));
            return 0;
        }
    }

    private void targetPrivileges(Connection c, int major) throws SQLException {
        String user = config.target().user();
        boolean superuser = bool(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
        boolean canReplicaRole = superuser || major >= 15 && bool(c, "SELECT has_parameter_privilege('session_replication_role', 'SET')");
        if (canReplicaRole) {
            add(CheckResult.pass("target.privileges", TARGET, "'" + user + "' may set session_replication_role = replica, so target triggers and"
                    + " foreign keys do not act on replicated rows"));
        }
        else {
            add(CheckResult.fail("target.privileges", TARGET, "'" + user + "' may not set session_replication_role: the applier sets it to replica so"
                    + " that target triggers do not fire twice and foreign keys do not block changes arriving in commit order per table",
                    major >= 15 ? "GRANT SET ON PARAMETER session_replication_role TO " + Identifiers.quote(user) + "; (or use a superuser)"
                            : "connect as a superuser (PostgreSQL " + major + " allows only superusers to set it)"));
        }
    }

    private void tools(int sourceMajor) {
        OptionalInt dump = ClientTools.majorVersion("pg_dump");
        OptionalInt restore = ClientTools.majorVersion("pg_restore");
        if (dump.isEmpty() || restore.isEmpty()) {
            add(CheckResult.fail("tools.pg_dump", "tools", (dump.isEmpty() ? "pg_dump" : "pg_restore") + " cannot be run (looked in PGSHIFT_PG_BIN,"
                    + " /usr/bin, /usr/local/bin and the PATH)", "install the PostgreSQL client tools: apt-get install -y postgresql-client"));
        }
        else if (sourceMajor > 0 && dump.getAsInt() < sourceMajor) {
            add(CheckResult.fail("tools.pg_dump", "tools", "pg_dump " + dump.getAsInt() + " cannot dump a PostgreSQL " + sourceMajor + " server",
                    "install the client tools of PostgreSQL " + sourceMajor + " or newer (postgresql-client-" + sourceMajor + " from apt.postgresql.org)"
                            + " and point PGSHIFT_PG_BIN at their bin folder"));
        }
        else {
            add(CheckResult.pass("tools.pg_dump", "tools", "pg_dump " + dump.getAsInt() + " and pg_restore " + restore.getAsInt()
                    + " (" + ClientTools.locate("pg_dump") + ")"));
        }
    }

    private void kafka() {
        if (config.kafka().embedded()) {
            add(CheckResult.pass("kafka.connection", "kafka", "embedded single-node broker, its data in " + config.workDir().resolve("kafka")));
            return;
        }
        Map<String, Object> props = new HashMap<>(config.kafka().properties());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrap());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "pgshift." + config.name() + ".check");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(props)) {
            DescribeClusterResult cluster = admin.describeCluster();
            int brokers = cluster.nodes().get(15, TimeUnit.SECONDS).size();
            String id = cluster.clusterId().get(15, TimeUnit.SECONDS);
            if (brokers < config.kafka().replicationFactor()) {
                add(CheckResult.fail("kafka.connection", "kafka", "cluster " + id + " has " + brokers + " brokers, fewer than kafka.replicationFactor = "
                        + config.kafka().replicationFactor(), "lower kafka.replicationFactor to " + brokers + " or add brokers"));
            }
            else {
                add(CheckResult.pass("kafka.connection", "kafka", "cluster " + id + " at " + config.kafka().bootstrap() + ": " + brokers + " brokers"));
            }
        }
        catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            add(CheckResult.fail("kafka.connection", "kafka", "cannot reach Kafka at " + config.kafka().bootstrap() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()),
                    "check kafka.bootstrap, that the brokers run and are reachable from here, and the security settings in kafka.properties"));
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether pgshift's DDL capture (event triggers writing each schema change to pgshift.ddl, {@code SourceSetup.installDdlCapture})
     * can be installed here: PostgreSQL lets only a superuser create an event trigger.
     */
    private void ddlCapture(Connection c, String scope) throws SQLException {
        if (io.pgshift.source.SourceSetup.canInstallDdlCapture(c)) {
            add(CheckResult.pass("source.ddl_capture", scope, "role '" + config.source().user() + "' may install pgshift's DDL capture (event"
                    + " triggers need a superuser): schema changes are carried in order with the data, a table created in the selection joins,"
                    + " and a change pgshift does not carry holds only the tables it touches until 'pgshift ddl apply|skip'"));
        }
        else {
            add(CheckResult.warn("source.ddl_capture", scope, "role '" + config.source().user() + "' is not a superuser: event triggers, which"
                    + " capture schema changes, cannot be installed. Then a schema change is seen only when a change record of a table carries a"
                    + " column its target table lacks (Debezium's relation change): that table is held, the others go on; a new table does not"
                    + " join, and a change the records do not show (an index, a constraint, a type) is not seen at all",
                    "run each schema change made on the source during the migration on the target too, and 'pgshift ddl apply <id>' what is held"
                    + " ('pgshift ddl list'); or migrate as a superuser"));
        }
    }

    // ---------------------------------------------------------------- Kafka Connect

    /**
     * The Connect cluster of connect.url: reachable, Kafka 3.6 or newer (its REST API reads and resets a connector's offsets), and every
     * plugin the connectors need on the worker.
     */
    private void connect() {
        String scope = "kafka connect";
        io.pgshift.app.connect.ConnectClient client = new io.pgshift.app.connect.ConnectClient(config.connect());
        String version;
        List<String> plugins;
        try {
            version = client.version();
            plugins = client.plugins(false);
        }
        catch (io.pgshift.app.connect.ConnectClient.ConnectException e) {
            add(CheckResult.fail("connect.connection", scope, e.getMessage(), "check connect.url (and connect.user, connect.password), and that a"
                    + " worker runs and is reachable from here"));
            return;
        }
        int[] v = java.util.Arrays.stream(version.split("[.-]")).limit(2).mapToInt(x -> x.matches("\\d+") ? Integer.parseInt(x) : 0).toArray();
        boolean recent = v.length == 2 && (v[0] > 3 || v[0] == 3 && v[1] >= 6);
        add(recent ? CheckResult.pass("connect.connection", scope, "Kafka Connect " + version + " at " + client.url())
                : CheckResult.fail("connect.connection", scope, "Kafka Connect " + version + " at " + client.url() + " has no REST API for a connector's"
                        + " offsets", "run the connectors on Kafka Connect 3.6 or newer"));
        java.util.Map<String, String> needed = new java.util.LinkedHashMap<>();
        needed.put("io.debezium.connector.postgresql.PostgresConnector", "unpack Debezium's PostgreSQL connector plugin (" + DEBEZIUM_VERSION
                + ") into a directory on every worker's plugin.path, with pgshift's Debezium add-on (pgshift-source-<version>-debezium-addon.zip)"
                + " unpacked into that same directory");
        needed.put("io.pgshift.sink.connect.PgApplierSinkConnector", "unpack pgshift's sink plugin (pgshift-sink-<version>-connect-plugin.zip)"
                + " into a directory on every worker's plugin.path");
        if (config.kafka().avro()) {
            boolean apicurio = "apicurio".equals(config.kafka().schemaRegistry().converter());
            needed.put(apicurio ? "io.apicurio.registry.utils.converter.AvroConverter" : "io.confluent.connect.avro.AvroConverter", "install "
                    + (apicurio ? "Apicurio's converter (io.apicurio:apicurio-registry-utils-converter)" : "Confluent's Avro converter")
                    + " on every worker (in each connector's plugin directory, or on the worker's class path)");
        }
        needed.forEach((plugin, fix) -> {
            if (plugins.contains(plugin)) {
                add(CheckResult.pass("connect.plugins", scope, plugin + " is installed"));
            }
            else if (plugin.endsWith("AvroConverter")) {
                // A converter on the worker's class path, or one without a service registration, is usable but not listed.
                add(CheckResult.warn("connect.plugins", scope, plugin + " is not listed by the worker at " + client.url(), fix));
            }
            else {
                add(CheckResult.fail("connect.plugins", scope, plugin + " is not installed on the worker at " + client.url(), fix));
            }
        });
    }

    // ---------------------------------------------------------------- one source database

    private void sourceDatabase(MigrationConfig.DatabaseMapping db, int sourceMajor, int targetMajor) {
        String scope = "source db " + db.source();
        List<TableInfo> tables;
        try (Connection c = config.source().connect(db.source(), "pgshift-check")) {
            tables = Catalog.selectedTables(c, config.tables());
            if (tables.isEmpty()) {
                add(CheckResult.fail("source.selection", scope, "no table matches the selection (" + config.tables() + ")",
                        "check tables.include and tables.exclude; patterns are schema.table with * for any characters, and case matters"));
                return;
            }
            add(CheckResult.pass("source.selection", scope, tables.size() + " tables selected: " + names(tables.stream().map(TableInfo::id).toList())));
            if (sourceMajor < 13) {
                List<TableId> partitioned = tables.stream().filter(TableInfo::partitioned).map(TableInfo::id).toList();
                if (!partitioned.isEmpty()) {
                    add(CheckResult.fail("source.partitioned_tables", scope, "partitioned tables " + names(partitioned) + " cannot be published"
                            + " through their root before PostgreSQL 13", "exclude them, or upgrade the source to 13 or newer"));
                }
            }
            tablePrivileges(c, scope, tables);
            ddlCapture(c, scope);
            rowSecurity(c, scope, tables);
            setupPrivileges(c, scope, db, tables);
            replicaIdentity(c, scope, tables);
            exactValues(c, scope, tables);
            timetzOffsets(c, scope, tables);
            neutralized(c, scope, tables);
            foreignKeysToExcluded(c, scope, tables);
            notCarried(c, scope);
            slotAndPublication(c, scope, db, tables);
            longTransactions(c, scope);
            if (targetMajor > 0) {
                targetDatabase(c, db, tables);
            }
        }
        catch (SQLException e) {
            add(CheckResult.fail("source.connection", scope, e.getMessage(), connectionFix(config.source(), e)));
        }
    }

    /**
     * Row-level security would hide rows from the load and from exact-value reads. A role is exempt from a table's policies when it
     * is a superuser, has BYPASSRLS, or owns the table and the table does not FORCE ROW LEVEL SECURITY (PostgreSQL: "Row Security
     * Policies"). pgshift's sessions run with {@code row_security = off}, so a filtered read fails rather than loses rows; this
     * check says so before the migration starts.
     */
    private void rowSecurity(Connection c, String scope, List<TableInfo> tables) throws SQLException {
        Set<TableId> selected = tables.stream().map(TableInfo::id).collect(Collectors.toSet());
        List<TableId> filtered = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles r"
                + " WHERE r.rolname = current_user AND c.relrowsecurity AND NOT (r.rolsuper OR r.rolbypassrls)"
                + " AND (c.relforcerowsecurity OR c.relowner <> r.oid) ORDER BY 1, 2")) {
            while (rs.next()) {
                TableId id = new TableId(rs.getString(1), rs.getString(2));
                if (selected.contains(id)) {
                    filtered.add(id);
                }
            }
        }
        if (filtered.isEmpty()) {
            add(CheckResult.pass("source.row_security", scope, "no selected table has row-level security policies that apply to '"
                    + config.source().user() + "'"));
            return;
        }
        add(CheckResult.fail("source.row_security", scope, "row-level security applies to '" + config.source().user() + "' on " + names(filtered)
                + ": its policies would hide rows from the migration (pgshift's reads run with row_security = off, so the load would stop)",
                "ALTER ROLE " + Identifiers.quote(config.source().user()) + " BYPASSRLS (or migrate as a superuser), or exclude those tables"
                        + " with tables.exclude"));
    }

    private void tablePrivileges(Connection c, String scope, List<TableInfo> tables) throws SQLException {
        List<String> unreadable = new ArrayList<>();
        List<String> unreadableNames = new ArrayList<>();
        Set<String> schemas = new java.util.TreeSet<>();
        for (TableInfo t : tables) {
            try (PreparedStatement ps = c.prepareStatement("SELECT has_schema_privilege(?, 'USAGE') AND has_table_privilege(?, 'SELECT')")) {
                ps.setString(1, t.id().schema());
                ps.setString(2, t.id().quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        unreadable.add(t.id().quoted());
                        unreadableNames.add(t.id().toString());
                        schemas.add(Identifiers.quote(t.id().schema()));
                    }
                }
            }
        }
        String user = Identifiers.quote(config.source().user());
        if (unreadable.isEmpty()) {
            add(CheckResult.pass("source.table_privileges", scope, "'" + config.source().user() + "' can read all " + tables.size() + " selected tables"));
        }
        else {
            add(CheckResult.fail("source.table_privileges", scope, "'" + config.source().user() + "' cannot read " + abbreviate(unreadableNames),
                    "GRANT USAGE ON SCHEMA " + String.join(", ", schemas) + " TO " + user + "; GRANT SELECT ON " + String.join(", ", unreadable)
                            + " TO " + user + ";"));
        }
    }

    private void setupPrivileges(Connection c, String scope, MigrationConfig.DatabaseMapping db, List<TableInfo> tables) throws SQLException {
        if (bool(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
            add(CheckResult.pass("source.setup_privileges", scope, "a superuser may create pgshift's schema and the publication"));
            return;
        }
        List<String> problems = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        boolean schemaExists = bool(c, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'pgshift')");
        if (!schemaExists && !bool(c, "SELECT has_database_privilege(current_database(), 'CREATE')")) {
            problems.add("it may not create the schema pgshift (for the fence table)");
            fixes.add("GRANT CREATE ON DATABASE " + Identifiers.quote(db.source()) + " TO " + Identifiers.quote(config.source().user()) + ";");
        }
        List<String> notOwned = new ArrayList<>();
        for (TableInfo t : tables) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = ?::regclass")) {
                ps.setString(1, t.id().quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && !rs.getBoolean(1)) {
                        notOwned.add(t.id().toString());
                    }
                }
            }
        }
        if (!notOwned.isEmpty()) {
            problems.add("it does not own " + abbreviate(notOwned) + ", and only a table's owner may add it to the publication");
            fixes.add("run pgshift as the tables' owner (or a member of the owning role), or as a superuser");
        }
        if (problems.isEmpty()) {
            add(CheckResult.pass("source.setup_privileges", scope, "'" + config.source().user() + "' may create pgshift's schema and owns every"
                    + " selected table (for the publication)"));
        }
        else {
            add(CheckResult.fail("source.setup_privileges", scope, "'" + config.source().user() + "': " + String.join("; ", problems),
                    String.join(" ", fixes)));
        }
    }

    private void replicaIdentity(Connection c, String scope, List<TableInfo> tables) throws SQLException {
        Map<TableId, TableInfo> unusable = new LinkedHashMap<>();
        for (TableInfo t : tables) {
            if (t.replicaIdentityProblem().isPresent()) {
                unusable.put(t.id(), t);
            }
        }
        long byIndex = tables.stream().filter(TableInfo::keyedByIdentityIndex).count();
        long full = tables.stream().filter(t -> !t.hasPrimaryKey() && t.replicaIdentity() == 'f').count();
        String usable = (tables.size() - unusable.size() - byIndex - full) + " by primary key" + (byIndex > 0 ? ", " + byIndex
                + " by their replica identity index" : "") + (full > 0 ? ", " + full + " by REPLICA IDENTITY FULL (rows matched on every column,"
                        + " one at a time: slower)" : "");
        if (unusable.isEmpty()) {
            add(CheckResult.pass("source.replica_identity", scope, "every selected table, and every partition that receives its writes,"
                    + " identifies its rows: " + usable));
            return;
        }
        String list = unusable.values().stream().map(t -> t.id() + " (" + t.replicaIdentityProblem().get() + ")").collect(Collectors.joining(", "));
        if (fixReplicaIdentity) {
            // PostgreSQL checks the replica identity of the relation written, which for a partitioned table is the leaf partition:
            // FULL goes on exactly the relations that lack a usable one.
            List<String> fixed = new ArrayList<>();
            try (Statement st = c.createStatement()) {
                for (TableInfo t : unusable.values()) {
                    for (String relation : t.identityFixTargets()) {
                        say.accept("Setting REPLICA IDENTITY FULL on " + relation + (relation.equals(t.id().quoted()) ? "" : " (a partition of " + t.id() + ")")
                                + " in source database '" + scope.substring("source db ".length())
                                + "' (--fix-replica-identity): its updates and deletes will log every old column value");
                        st.execute("ALTER TABLE " + relation + " REPLICA IDENTITY FULL");
                        fixed.add(relation);
                    }
                }
            }
            add(CheckResult.pass("source.replica_identity", scope, "REPLICA IDENTITY FULL set on " + fixed + " (--fix-replica-identity);"
                    + " every selected table, and every partition that receives its writes, identifies its rows"));
            return;
        }
        add(CheckResult.fail("source.replica_identity", scope, "tables without a usable replica identity: " + list + ". Once published,"
                + " UPDATE and DELETE on them would fail on the source, or their changes would not say which row they change",
                "add a primary key that is not DEFERRABLE to each table (a partitioned table's on the partitioned table itself, which its"
                + " partitions then share), or run 'pgshift check --fix-replica-identity'"
                + " (sets REPLICA IDENTITY FULL on exactly the relations named: larger WAL, rows matched on every column), or exclude the"
                + " tables with tables.exclude"));
    }

    /**
     * Values the change stream does not carry exactly are read from the source by key ({@code DebeziumTypes}); a table without a key
     * (REPLICA IDENTITY FULL) that has such columns cannot be migrated exactly, so it is refused now rather than at its first change.
     */
    private void exactValues(Connection c, String scope, List<TableInfo> tables) throws SQLException {
        Map<TableId, String> problems = Catalog.notCarriedExactly(c, tables);
        if (problems.isEmpty()) {
            add(CheckResult.pass("source.exact_values", scope, "every value of every selected table is carried exactly (by the change stream, or"
                    + " read from the source by key)"));
            return;
        }
        add(CheckResult.fail("source.exact_values", scope, "tables that cannot be migrated exactly: " + problems.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining(", ")),
                "add a primary key to each table without one (or a unique index on NOT NULL columns and REPLICA IDENTITY USING INDEX), a"
                        + " column to each table without columns, or exclude them with tables.exclude and copy them during the cutover"));
    }

    /**
     * Debezium's pgoutput decoder reads a {@code timetz} offset as {@code +HH:mm}: a value whose UTC offset has seconds (historic local
     * mean times, {@code '10:00:00+01:02:03'}) stops the capture at every restart once a row holding it changes. The load copies such
     * values exactly; this check scans the selected tables' {@code timetz} columns (not arrays, which are read from the source) for them.
     */
    private void timetzOffsets(Connection c, String scope, List<TableInfo> tables) throws SQLException {
        record TimetzColumn(String from, String name) {
        }
        Set<TableId> selected = tables.stream().map(TableInfo::id).collect(Collectors.toSet());
        List<TimetzColumn> columns = new ArrayList<>();
        List<String> offending = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT n.nspname, r.relname, r.relkind = 'p', a.attname"
                + " FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace"
                + " WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p') AND NOT r.relispartition"
                + " AND a.atttypid = 'timetz'::regtype ORDER BY 1, 2, a.attnum")) {
            while (rs.next()) {
                TableId id = new TableId(rs.getString(1), rs.getString(2));
                if (selected.contains(id)) {
                    columns.add(new TimetzColumn((rs.getBoolean(3) ? "" : "ONLY ") + id.quoted(), rs.getString(4)));
                }
            }
        }
        if (columns.isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>();
        for (TimetzColumn col : columns) {
            String column = Identifiers.quote(col.name());
            String name = col.from().replace("ONLY ", "") + "." + column;
            names.add(name);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT FROM " + col.from()
                    + " WHERE extract(timezone FROM " + column + ")::int % 60 <> 0)")) {
                if (rs.next() && rs.getBoolean(1)) {
                    offending.add(name);
                }
            }
        }
        if (!offending.isEmpty()) {
            add(CheckResult.fail("source.timetz_offsets", scope, "rows of " + String.join(", ", offending) + " hold time with time zone values whose"
                    + " UTC offset has seconds; the change stream's decoder (Debezium) cannot read them, so a change of such a row would stop the"
                    + " capture at every restart", "store those values with an offset in whole minutes, or exclude the tables with tables.exclude"
                    + " and copy them during the cutover"));
            return;
        }
        add(CheckResult.warn("source.timetz_offsets", scope, "time with time zone columns " + String.join(", ", names) + " hold no value whose UTC"
                + " offset has seconds now; one written later would stop the capture (Debezium cannot read it), and pgshift would say so",
                "keep offsets in whole minutes while migrating"));
    }

    /**
     * The schema copy brings the source's GENERATED ALWAYS identity columns and its triggers and rules enabled ALWAYS or REPLICA to the
     * target, where they would act on replicated writes ({@link TargetNeutralization}): says which pgshift turns off while it applies
     * changes and restores at the cutover.
     */
    private void neutralized(Connection c, String scope, List<TableInfo> tables) throws SQLException {
        List<TargetNeutralization.Neutralized> found = TargetNeutralization.pending(c, tables.stream().map(TableInfo::id).toList());
        if (found.isEmpty()) {
            add(CheckResult.pass("target.neutralized", scope, "no selected table has a GENERATED ALWAYS identity column or a trigger or rule"
                    + " enabled ALWAYS or REPLICA: ordinary triggers and foreign keys do not fire for pgshift's writes (session_replication_role"
                    + " = replica)"));
            return;
        }
        add(CheckResult.pass("target.neutralized", scope, "on the target, pgshift turns off " + found.stream().map(Object::toString)
                .collect(Collectors.joining(", ")) + " while it applies changes (they would act on rows the source already wrote), and turns"
                + " them back on at the cutover"));
    }

    private void foreignKeysToExcluded(Connection c, String scope, List<TableInfo> tables) throws SQLException {
        Set<TableId> selected = tables.stream().map(TableInfo::id).collect(Collectors.toSet());
        List<String> dangling = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT co.conname, sn.nspname, s.relname, tn.nspname, t.relname"
                + " FROM pg_constraint co JOIN pg_class s ON s.oid = co.conrelid JOIN pg_namespace sn ON sn.oid = s.relnamespace"
                + " JOIN pg_class t ON t.oid = co.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace"
                + " WHERE co.contype = 'f' AND NOT s.relispartition AND NOT t.relispartition")) {
            while (rs.next()) {
                TableId from = new TableId(rs.getString(2), rs.getString(3));
                TableId to = new TableId(rs.getString(4), rs.getString(5));
                if (selected.contains(from) && !selected.contains(to)) {
                    dangling.add(from + "." + rs.getString(1) + " -> " + to);
                }
            }
        }
        if (dangling.isEmpty()) {
            add(CheckResult.pass("source.foreign_keys", scope, "every foreign key of a selected table references a selected table"));
        }
        else {
            add(CheckResult.fail("source.foreign_keys", scope, "foreign keys reference tables left out of the selection: " + abbreviate(dangling)
                    + "; the post-data section could not create them", "select the referenced tables too, or leave out the referencing ones"));
        }
    }

    /** What logical replication cannot carry: each present thing is a WARN that says what pgshift does with it. */
    private void notCarried(Connection c, String scope) throws SQLException {
        long largeObjects = longQuery(c, "SELECT count(*) FROM pg_largeobject_metadata");
        if (largeObjects > 0) {
            add(CheckResult.warn("source.large_objects", scope, largeObjects + " large objects: logical replication does not carry them, and"
                    + " pgshift does not migrate them", "copy them after the cutover, when the source no longer changes (pg_dump --data-only"
                    + " --large-objects ... | pg_restore), or move them into bytea columns"));
        }
        else {
            add(CheckResult.pass("source.large_objects", scope, "no large objects"));
        }
        List<TableId> unlogged = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'u' ORDER BY 1, 2")) {
            while (rs.next()) {
                TableId t = new TableId(rs.getString(1), rs.getString(2));
                if (config.tables().matches(t)) {
                    unlogged.add(t);
                }
            }
        }
        if (!unlogged.isEmpty()) {
            add(CheckResult.warn("source.unlogged_tables", scope, "unlogged tables " + names(unlogged) + " match the selection: logical replication"
                    + " cannot carry them, so pgshift leaves them out (no schema, no rows)", "ALTER TABLE ... SET LOGGED on each to migrate it,"
                    + " or exclude them with tables.exclude to silence this"));
        }
        else {
            add(CheckResult.pass("source.unlogged_tables", scope, "no unlogged table matches the selection"));
        }
        long temporary = longQuery(c, "SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND relkind IN ('r', 'p')");
        if (temporary > 0) {
            add(CheckResult.warn("source.temporary_tables", scope, temporary + " temporary tables exist in sessions now: they belong to their"
                    + " session and are never migrated", "keep application data out of temporary tables, or recreate them on the target after the cutover"));
        }
        else {
            add(CheckResult.pass("source.temporary_tables", scope, "no temporary tables"));
        }
        List<String> matviews = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, matviewname) FROM pg_matviews"
                + " WHERE schemaname <> 'pgshift' ORDER BY 1")) {
            while (rs.next()) {
                matviews.add(rs.getString(1));
            }
        }
        if (!matviews.isEmpty()) {
            add(CheckResult.warn("source.materialized_views", scope, "materialized views " + abbreviate(matviews) + ": created by the schema step"
                    + " and refreshed on the target after the load (REFRESH MATERIALIZED VIEW); their contents are not streamed",
                    "refresh them again on the target after the cutover if they must reflect the last changes"));
        }
        else {
            add(CheckResult.pass("source.materialized_views", scope, "no materialized views"));
        }
        add(CheckResult.warn("source.ddl", scope, "logical replication carries no DDL: a schema change on the source during the migration does"
                + " not reach the target, and a changed selected table stops the applier", "freeze schema changes until the cutover; if one"
                + " cannot wait, apply it to the target first (for example an added column), then to the source"));
    }

    private void slotAndPublication(Connection c, String scope, MigrationConfig.DatabaseMapping db, List<TableInfo> tables) throws SQLException {
        String slot = config.names().slotName(db.source());
        try (PreparedStatement ps = c.prepareStatement("SELECT plugin, database, active, active_pid,"
                + " pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)), "
                + (serverMajor(c) >= 13 ? "wal_status" : "NULL") + " FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    add(CheckResult.pass("source.slot", scope, "replication slot " + slot + " does not exist yet: migrate creates it"));
                }
                else if (!"pgoutput".equals(rs.getString(1)) || !db.source().equals(rs.getString(2))) {
                    add(CheckResult.fail("source.slot", scope, "replication slot " + slot + " exists but belongs to something else (plugin "
                            + rs.getString(1) + ", database " + rs.getString(2) + ")", "drop it if it is unused (SELECT pg_drop_replication_slot('"
                            + slot + "')), or give this migration another name"));
                }
                else if (rs.getBoolean(3) && config.viaConnect()) {
                    add(CheckResult.pass("source.slot", scope, "replication slot " + slot + " is in use by server process " + rs.getInt(4)
                            + ": the Debezium connector on Kafka Connect streams this migration from it"));
                }
                else if (rs.getBoolean(3)) {
                    add(CheckResult.fail("source.slot", scope, "replication slot " + slot + " is in use by server process " + rs.getInt(4),
                            "is this migration already running elsewhere? Stop it first; a pgshift of this migration cannot share its slot"));
                }
                else if ("lost".equals(rs.getString(6))) {
                    add(CheckResult.fail("source.slot", scope, "replication slot " + slot + " was invalidated (it retained more WAL than"
                            + " max_slot_wal_keep_size)", "drop it (pgshift cleanup, or SELECT pg_drop_replication_slot('" + slot + "')); migrate then"
                            + " starts the load again"));
                }
                else {
                    add(CheckResult.pass("source.slot", scope, "replication slot " + slot + " exists (retains " + rs.getString(5)
                            + " of WAL): migrate resumes from it"));
                }
            }
        }
        String publication = config.names().publicationName(db.source());
        try (PreparedStatement ps = c.prepareStatement("SELECT puballtables, ARRAY(SELECT format('%I.%I', schemaname, tablename)"
                + " FROM pg_publication_tables t WHERE t.pubname = p.pubname) FROM pg_publication p WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    add(CheckResult.pass("source.publication", scope, "publication " + publication + " does not exist yet: migrate creates it"));
                }
                else if (rs.getBoolean(1)) {
                    add(CheckResult.fail("source.publication", scope, "publication " + publication + " exists FOR ALL TABLES, which is not pgshift's",
                            "drop it (DROP PUBLICATION " + Identifiers.quote(publication) + ") or give this migration another name"));
                }
                else {
                    add(CheckResult.pass("source.publication", scope, "publication " + publication + " exists: migrate sets its tables to the selection"));
                }
            }
        }
    }

    private void longTransactions(Connection c, String scope) throws SQLException {
        int threshold = config.longTransactionSeconds();
        List<String> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT pid, usename, datname, extract(epoch FROM now() - xact_start)::bigint, state"
                + " FROM pg_stat_activity WHERE xact_start < now() - make_interval(secs => ?) AND pid <> pg_backend_pid()"
                + " AND backend_type = 'client backend' ORDER BY xact_start")) {
            ps.setInt(1, threshold);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add("pid " + rs.getInt(1) + " (user " + rs.getString(2) + ", database " + rs.getString(3) + ", open " + rs.getLong(4)
                            + " s, " + rs.getString(5) + ")");
                }
            }
        }
        long prepared = longQuery(c, "SELECT count(*) FROM pg_prepared_xacts");
        if (prepared > 0) {
            found.add(prepared + " prepared transactions (pg_prepared_xacts)");
        }
        if (found.isEmpty()) {
            add(CheckResult.pass("source.long_transactions", scope, "no transaction open longer than " + threshold + " s"));
        }
        else {
            add(CheckResult.warn("source.long_transactions", scope, "transactions open longer than " + threshold + " s: " + abbreviate(found)
                    + ". Creating the replication slot waits until they end, and they hold back the snapshot and vacuum",
                    "let them finish, or end them (SELECT pg_terminate_backend(pid); COMMIT PREPARED / ROLLBACK PREPARED for prepared ones)"
                            + " before starting the migration"));
        }
    }

    // ---------------------------------------------------------------- one target database

    private void targetDatabase(Connection source, MigrationConfig.DatabaseMapping db, List<TableInfo> tables) throws SQLException {
        String scope = "target db " + db.target();
        boolean exists;
        try (Connection c = config.target().connect("postgres", "pgshift-check");
             PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT FROM pg_database WHERE datname = ?),"
                     + " (SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user)")) {
            ps.setString(1, db.target());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                exists = rs.getBoolean(1);
                if (exists) {
                    add(CheckResult.pass("target.database", scope, "target database '" + db.target() + "' exists"));
                }
                else if (rs.getBoolean(2)) {
                    add(CheckResult.pass("target.database", scope, "target database '" + db.target() + "' does not exist: migrate creates it"));
                }
                else {
                    add(CheckResult.fail("target.database", scope, "target database '" + db.target() + "' does not exist, and '" + config.target().user()
                            + "' may not create databases", "CREATE DATABASE " + Identifiers.quote(db.target()) + "; as a privileged user, or ALTER ROLE "
                            + Identifiers.quote(config.target().user()) + " CREATEDB;"));
                }
            }
            extensions(source, c, db, exists);
        }
        if (exists) {
            try (Connection t = config.target().connect(db.target(), "pgshift-check")) {
                targetTablesEmpty(t, scope, db, tables);
            }
        }
        else {
            add(CheckResult.pass("target.tables_empty", scope, "target database '" + db.target() + "' does not exist yet, so it holds no rows"));
        }
    }

    private void extensions(Connection source, Connection targetServer, MigrationConfig.DatabaseMapping db, boolean targetExists) throws SQLException {
        String scope = "target db " + db.target();
        Map<String, String> used = new TreeMap<>();
        try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery("SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'")) {
            while (rs.next()) {
                used.put(rs.getString(1), rs.getString(2));
            }
        }
        if (used.isEmpty()) {
            add(CheckResult.pass("target.extensions", scope, "the source database uses no extensions"));
            return;
        }
        boolean superuser = bool(targetServer, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
        int major = intQuery(targetServer, "SELECT current_setting('server_version_num')::int") / 10000;
        List<String> missing = new ArrayList<>();
        List<String> needSuperuser = new ArrayList<>();
        List<String> fine = new ArrayList<>();
        for (Map.Entry<String, String> ext : used.entrySet()) {
            try (PreparedStatement ps = targetServer.prepareStatement("SELECT default_version, "
                    + (major >= 13 ? "bool_or(v.trusted) OR NOT bool_or(v.superuser)" : "NOT bool_or(v.superuser)")
                    + " FROM pg_available_extensions a LEFT JOIN pg_available_extension_versions v USING (name) WHERE a.name = ? GROUP BY default_version")) {
                ps.setString(1, ext.getKey());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        missing.add(ext.getKey() + " " + ext.getValue());
                    }
                    else {
                        if (!superuser && !rs.getBoolean(2)) {
                            needSuperuser.add(ext.getKey());
                        }
                        fine.add(ext.getKey() + " " + ext.getValue() + (ext.getValue().equals(rs.getString(1)) ? "" : " (target offers " + rs.getString(1) + ")"));
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            add(CheckResult.fail("target.extensions", scope, "the source database uses extensions the target server lacks: " + missing,
                    "install them on the target server (for example the postgresql-<major>-<extension> package), or remove them from the source"));
        }
        else if (!needSuperuser.isEmpty() && !targetExtensionsInstalled(db, needSuperuser, targetExists)) {
            add(CheckResult.fail("target.extensions", scope, "extensions " + needSuperuser + " need a superuser to create, and '"
                    + config.target().user() + "' is not one", "have a superuser run CREATE EXTENSION for each in target database '" + db.target()
                    + "' before the migration"));
        }
        else {
            add(CheckResult.pass("target.extensions", scope, "the target offers every extension the source uses (" + String.join(", ", fine)
                    + "); the schema step creates them"));
        }
    }

    private boolean targetExtensionsInstalled(MigrationConfig.DatabaseMapping db, List<String> extensions, boolean targetExists) throws SQLException {
        if (!targetExists) {
            return false;
        }
        try (Connection t = config.target().connect(db.target(), "pgshift-check");
             PreparedStatement ps = t.prepareStatement("SELECT count(*) FROM pg_extension WHERE extname = ANY (?)")) {
            ps.setArray(1, t.createArrayOf("text", extensions.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) == extensions.size();
            }
        }
    }

    private void targetTablesEmpty(Connection t, String scope, MigrationConfig.DatabaseMapping db, List<TableInfo> tables) throws SQLException {
        String prefix = config.names().connectorName(db.source()) + ".";
        boolean inProgress = bool(t, "SELECT to_regclass('pgshift.apply_progress') IS NOT NULL")
                && longQuery(t, "SELECT count(*) FROM pgshift.apply_progress WHERE left(topic, " + prefix.length() + ") = " + Identifiers.literal(prefix)) > 0;
        List<String> withRows = new ArrayList<>();
        List<String> withRowsNames = new ArrayList<>();
        int present = 0;
        for (TableInfo table : tables) {
            try (PreparedStatement ps = t.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                ps.setString(1, table.id().quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        continue;
                    }
                }
            }
            present++;
            if (bool(t, "SELECT EXISTS (SELECT FROM " + table.id().quoted() + ")")) {
                withRows.add(table.id().quoted());
                withRowsNames.add(table.id().toString());
            }
        }
        if (inProgress) {
            add(CheckResult.pass("target.tables_empty", scope, "this migration is already under way in '" + db.target() + "' (" + withRows.size()
                    + " of its tables hold rows it applied): migrate resumes"));
        }
        else if (!withRows.isEmpty()) {
            add(CheckResult.fail("target.tables_empty", scope, "target tables already hold rows: " + abbreviate(withRowsNames) + "; pgshift loads into"
                    + " empty tables and would mix its rows with these", "empty them (TRUNCATE " + String.join(", ", withRows.subList(0,
                    Math.min(5, withRows.size()))) + (withRows.size() > 5 ? ", ..." : "") + ";) or migrate into another target database"));
        }
        else {
            add(CheckResult.pass("target.tables_empty", scope, present == 0 ? "none of the selected tables exists in '" + db.target()
                    + "' yet: the schema step creates them" : present + " of the selected tables exist in '" + db.target() + "', all empty"));
        }
    }

    // ---------------------------------------------------------------- helpers

    /** TLS as the server reports it for this session. */
    private static String tls(Connection c, PgEndpoint endpoint) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            if (rs.next() && rs.getBoolean(1)) {
                return "TLS " + rs.getString(2) + " (sslmode " + endpoint.sslMode() + (endpoint.sslRootCert() != null ? ", root certificate "
                        + endpoint.sslRootCert() : "") + ")";
            }
            return "without TLS (sslmode " + endpoint.sslMode() + ")";
        }
    }

    /** The Debezium version pgshift is built and tested with. */
    private static final String DEBEZIUM_VERSION = io.debezium.config.CommonConnectorConfig.class.getPackage().getImplementationVersion() == null
            ? "3.6" : io.debezium.config.CommonConnectorConfig.class.getPackage().getImplementationVersion();

    private static String connectionFix(PgEndpoint endpoint, SQLException e) {
        String msg = String.valueOf(e.getMessage());
        String role = endpoint.role();
        if ("28P01".equals(e.getSQLState())) {
            return "the server refuses the password of user " + endpoint.user() + ": fix " + role + ".password (or " + role + ".user)";
        }
        if (msg.contains("does not support SSL")) {
            return "the server does not offer TLS: enable ssl on it (ssl = on, with a certificate), or set " + role + ".sslmode to prefer or disable";
        }
        if (msg.contains("PKIX") || msg.contains("certificate") || msg.contains("SSL")) {
            return "the server's certificate could not be verified: point " + role + ".sslrootcert at the file of the CA that signed it, and"
                    + " for verify-full use the host name in the certificate as " + role + ".host";
        }
        return "check " + role + ".host, " + role + ".port, " + role + ".user, " + role + ".password and the server's pg_hba.conf";
    }

    private static int serverMajor(Connection c) throws SQLException {
        return intQuery(c, "SELECT current_setting('server_version_num')::int") / 10000;
    }

    private static int intQuery(Connection c, String sql) throws SQLException {
        return (int) longQuery(c, sql);
    }

    private static long longQuery(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static boolean bool(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String names(List<TableId> tables) {
        return abbreviate(tables.stream().map(TableId::toString).toList());
    }

    private static String abbreviate(List<String> items) {
        return items.size() <= 10 ? String.join(", ", items) : String.join(", ", items.subList(0, 10)) + " and " + (items.size() - 10) + " more";
    }
}
