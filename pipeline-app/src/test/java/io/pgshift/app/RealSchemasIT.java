package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.MigrationNames;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.sink.TargetNeutralization;
import io.pgshift.testkit.TestServers;

/**
 * Schemas and values from the field (issue "Real schemas, real values"), a test per kind of fault (those that need only a migration
 * are rows of one parameterized test), each with the issue's failing
 * input in its fixture ({@code real/<kind>.sql}) and more of the same kind: the migration either carries every row and column
 * exactly (target == source, value by value, after a load and after streaming a script of changes, under a writer that updates and
 * deletes in every relation and whose every statement must succeed), or refuses at {@code check} and at start naming the table,
 * the column or the relation, and the fix.
 */
class RealSchemasIT {

    private final TestServers servers = TestServers.get();

    /** Kind 1: pgshift's "usable replica identity" is PostgreSQL's own, per leaf relation, and the fix acts where PostgreSQL looks. */
    @Test
    void publishingTheTablesNeverMakesASourceWriteFail() throws Exception {
        String db = fixture("replica-identity");
        Path config = TestMigrations.configFile(servers.newFolder("real-ri"), yaml(db, "exclude: [\"public.vchild\"]", ""));
        TestMigrations.CliRun before = TestMigrations.cli("check", "-c", config.toString());
        assertThat(before.exitCode()).as(before.out()).isEqualTo(1);
        assertThat(before.out()).containsPattern("FAIL  source\\.replica_identity .*public\\.b \\(its primary key is DEFERRABLE")
                .contains("public.p (partition \"public\".\"p1\": the table has no key").contains("partition \"public\".\"p2\": no primary key")
                .contains("public.q (partition \"public\".\"q2\": REPLICA IDENTITY NOTHING").contains("public.di (REPLICA IDENTITY USING INDEX of an index")
                .doesNotContain("public.ri (").doesNotContain("vparent (").doesNotContain("vchild");
        TestMigrations.CliRun refused = TestMigrations.cli("migrate", "-c", config.toString());
        assertThat(refused.exitCode()).isEqualTo(3);

        TestMigrations.CliRun fixed = TestMigrations.cli("check", "-c", config.toString(), "--fix-replica-identity");
        assertThat(fixed.out()).containsPattern("(?m)^PASS  source\\.replica_identity .*REPLICA IDENTITY FULL set on");
        assertThat(fixed.err()).contains("Setting REPLICA IDENTITY FULL on \"public\".\"p2\" (a partition of public.p)");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT string_agg(relname || '=' || relreplident, ',' ORDER BY relname) FROM pg_class"
                     + " WHERE relname IN ('b', 'p', 'p1', 'p2', 'q1a', 'q2', 'di', 'ri', 'vparent', 'vchild')")) {
            rs.next();
            // exactly the relations PostgreSQL checks: the leaves, not the keyless root p; a usable identity is left alone
            assertThat(rs.getString(1)).isEqualTo("b=f,di=f,p=d,p1=f,p2=f,q1a=d,q2=f,ri=i,vchild=d,vparent=d");
        }
        migrateUnderWriter(db, new MigrationConfigLoader(System::getenv).parse(Files.readString(config), "real"),
                List.of("public.b", "public.p1", "public.p2", "public.q1a", "public.q1b", "public.q2", "public.di", "public.ri", "public.vparent",
                        "public.vchild"), List.of("UPDATE p SET at = at + 1 WHERE id % 5 = 0", "UPDATE q SET id = id + 100 WHERE id % 4 = 0",
                        "DELETE FROM ri WHERE id % 3 = 0", "UPDATE vparent SET v = v || '+'"));
    }

    /**
     * Kind 2: a source transaction's effect is reproduced without a transient violation stopping the applier: keys renumbered or
     * swapped in one statement under DEFERRABLE keys, unique and exclusion constraints besides the key whose values move between
     * rows, the same row changed 300 times in one transaction; batches of 7 records end inside those transactions.
     */
    @Test
    void constraintsTheTargetEnforcesApplyAsOnTheSource() throws Exception {
        String db = fixture("constraints");
        migrateUnderWriter(db, config(db, "", "apply: { maxBatchRecords: 7 }\n"), List.of("public.side", "public.dd"), changes("constraints"));
    }

    /**
     * The kinds whose inputs need nothing but a migration to arrive exactly, each a fixture ({@code real/<kind>.sql}, then
     * {@code real/<kind>-changes.sql} while streaming) and the relations its writer changes:
     * <ul>
     * <li>kind 3, {@code values}: values the change stream drops ({@code interval[]}) or does not carry exactly (arrays of domains,
     * NaN in arrays, money, timetz, varbit, geometry, tsquery) arrive identical, and none logs an ERROR; float zeros in a keyless
     * table;</li>
     * <li>kind 5, {@code extremes}: the ends of every date and time range, 294276 AD and 4713 BC included, stream without stopping the
     * capture;</li>
     * <li>kind 6, {@code big}: a 24 MiB text value, a 10 MiB bytea (20 MiB as text), 40 MB rows in the load and in the stream;</li>
     * <li>kind 7, {@code defaults}: a NULL written to a column that has a DEFAULT stays NULL, for every type family;</li>
     * <li>kind 8, {@code inheritance}: a parent's change (delete, key change, truncate) never reaches its children's rows, and a child
     * whose columns stand in another order compares equal.</li>
     * </ul>
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "values      | public.arr,public.kf",
            "extremes    | public.ts",
            "big         | ''",
            "defaults    | public.acct",
            "inheritance | public.vehicle,public.car,public.truck,public.bike,public.c4"})
    void arrivesExactly(String kind, String relations) throws Exception {
        String db = fixture(kind);
        migrateUnderWriter(db, config(db, "", ""), relations.isEmpty() ? List.of() : List.of(relations.split(",")), changes(kind));
    }

    /** Kind 4: non-ASCII, long multi-byte, dotted and emoji names: each table keeps its own topic and every change. */
    @Test
    void everyNameKeepsItsOwnTopicAndItsChanges() throws Exception {
        String db = fixture("names");
        MigrationConfig config = config(db, "", "");
        List<String> relations = List.of("public.taxe€", "public.taxe$", "public.taxe_", "public.ÄÖÜäöüßéèêëàâîïôûçñ_ÄÖÜäöüßéèêëàâîïôûçñ_ab",
                "public.a.b", "public.Größe", "public.emoji 🐘", "public.t ", "public. lead");
        Map<TableId, String> topics = relations.stream().map(r -> new TableId("public", r.substring("public.".length())))
                .collect(Collectors.toMap(t -> t, t -> config.names().tableTopic(db, t)));
        assertThat(topics.values()).doesNotHaveDuplicates();
        assertThat(MigrationNames.topicCollisions(topics)).isEmpty();
        migrateUnderWriter(db, config, relations, changes("names"));
    }

    /**
     * Kind 5, the value Debezium cannot read: a timetz whose UTC offset has seconds. Rows holding one fail check (a change of such a row
     * would stop the capture); written while streaming, it stops the capture with the value, the query that finds it and the way out.
     */
    @Test
    void aTimetzOffsetWithSecondsIsFoundByCheckAndStopsTheCaptureLoudly() throws Exception {
        String db = fixture("extremes");
        onSource(db, "CREATE TABLE tt (id int PRIMARY KEY, t timetz)",
                "INSERT INTO tt VALUES (1, '10:00:00+01:02:03')");
        Path config = TestMigrations.configFile(servers.newFolder("real-timetz"), yaml(db, "", ""));
        assertThat(TestMigrations.cli("check", "-c", config.toString()).out())
                .containsPattern("FAIL  source\\.timetz_offsets .*rows of \"public\".\"tt\".\"t\" hold time with time zone values whose UTC offset has seconds");
        onSource(db, "UPDATE tt SET t = '10:00:00+01:02'");
        assertThat(TestMigrations.cli("check", "-c", config.toString()).out()).containsPattern("WARN  source\\.timetz_offsets .*\"public\".\"tt\".\"t\" hold no value");
        try (Pipeline pipeline = Pipeline.start(config(db, "", ""))) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            onSource(db, "INSERT INTO tt VALUES (2, '23:59:59-00:25:21')");
            await("the capture stopped").atMost(Duration.ofMinutes(1)).until(() -> pipeline.failure().isPresent());
            assertThat(pipeline.failure().get()).hasStackTraceContaining("UTC offset has seconds ('23:59:59-00:25:21')")
                    .hasStackTraceContaining("extract(timezone FROM <column>)::int % 60 <> 0").hasStackTraceContaining("tables.exclude");
        }
    }

    /** Kind 9: row-level security that hides rows from the migration role is refused at check, and a load never copies fewer rows silently. */
    @Test
    void rowLevelSecurityHidingRowsIsRefused() throws Exception {
        String db = fixture("defaults");
        String role = "rls_" + db;
        migrationRole(db, role, "acct");
        onSource(db, "ALTER TABLE acct ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE acct FORCE ROW LEVEL SECURITY",
                "CREATE POLICY only_some ON acct USING (id % 2 = 1)");
        String yaml = yamlAs(db, role);
        Path config = TestMigrations.configFile(servers.newFolder("real-rls"), yaml);
        TestMigrations.CliRun check = TestMigrations.cli("check", "-c", config.toString());
        assertThat(check.out()).containsPattern("FAIL  source\\.row_security .*row-level security applies to '" + role + "' on public\\.acct")
                .contains("ALTER ROLE \"" + role + "\" BYPASSRLS");

        // Started anyway (no check): the load reads with row_security = off, so the policy stops it loudly instead of hiding rows.
        try (Pipeline pipeline = Pipeline.start(new MigrationConfigLoader(System::getenv).parse(yaml, "real"))) {
            assertThat(pipeline.loaded()).failsWithin(Duration.ofMinutes(2)).withThrowableThat()
                    .withMessageContaining("row-level security");
        }
        onSource(db, "ALTER ROLE " + role + " BYPASSRLS");
        TestMigrations.CliRun after = TestMigrations.cli("check", "-c", config.toString());
        assertThat(after.out()).containsPattern("PASS  source\\.row_security ");
        migrateUnderWriter(db, new MigrationConfigLoader(System::getenv).parse(yaml, "real"), List.of(), changes("defaults"));
    }

    /**
     * Kind 10: refused early, for the right reason, naming table and columns: a keyless table whose values must be read from the source,
     * and a table without columns (its streamed inserts and deletes carry nothing, and Debezium skips them); the other tables migrate
     * once those are left out.
     */
    @Test
    void tablesThatCannotBeCarriedExactlyAreRefusedAtCheckAndStart() throws Exception {
        String db = fixture("keyless");
        Path config = TestMigrations.configFile(servers.newFolder("real-keyless"), yaml(db, "", ""));
        TestMigrations.CliRun check = TestMigrations.cli("check", "-c", config.toString());
        assertThat(check.out()).containsPattern("FAIL  source\\.exact_values .*public\\.kl \\(no key, and the change stream does not carry the values"
                + " of t \\(time with time zone\\), m \\(money\\) exactly").contains("public.nocols (no columns").contains("add a primary key")
                .doesNotContain("public.other (");
        TestMigrations.CliRun start = TestMigrations.cli("migrate", "-c", config.toString(), "--skip-check");
        assertThat(start.exitCode()).isNotZero();
        assertThat(start.err()).contains("public.kl (no key").contains("public.nocols (no columns").contains("Add a primary key");

        migrateUnderWriter(db, config(db, "exclude: [\"public.kl\", \"public.nocols\"]", ""), List.of("public.other", "public.kl", "public.nocols"),
                changes("keyless"));
    }

    /** Kind 11: the migration role's own output settings (interval style, date style, time zone, float digits, bytea output) change nothing. */
    @Test
    void theRolesOwnOutputSettingsChangeNothing() throws Exception {
        String db = fixture("settings");
        String role = "set_" + db;
        migrationRole(db, role, "shown");
        onSource(db, "ALTER ROLE " + role + " SET IntervalStyle = 'sql_standard'",
                "ALTER ROLE " + role + " SET DateStyle = 'SQL, DMY'",
                "ALTER ROLE " + role + " SET TimeZone = 'America/St_Johns'",
                "ALTER ROLE " + role + " SET extra_float_digits = 0",
                "ALTER ROLE " + role + " SET bytea_output = 'escape'",
                "ALTER ROLE " + role + " SET lc_monetary = 'C'");
        migrateUnderWriter(db, new MigrationConfigLoader(System::getenv).parse(yamlAs(db, role), "real"), List.of("public.shown"), changes("settings"));
    }

    /**
     * Kind 12: what the target does on its own to replicated writes (a GENERATED ALWAYS identity that is not the key, triggers
     * enabled ALWAYS and REPLICA, a rule enabled ALWAYS) is off while applying, check says so, and it is back afterwards.
     */
    @Test
    void whatTheTargetDoesOnItsOwnIsOffWhileApplyingAndRestored() throws Exception {
        String db = fixture("neutralized");
        MigrationConfig config = config(db, "", "");
        Path file = TestMigrations.configFile(servers.newFolder("real-neutral"), yaml(db, "", ""));
        TestMigrations.CliRun check = TestMigrations.cli("check", "-c", file.toString());
        assertThat(check.out()).containsPattern("PASS  target\\.neutralized .*identity seq of \"public\".\"ident\"")
                .contains("trigger audited_always of \"public\".\"audited\"").contains("trigger audited_replica of \"public\".\"audited\"")
                .contains("rule ruled_copy of \"public\".\"ruled\"");
        migrateUnderWriter(db, config, List.of("public.ident", "public.audited", "public.soft"), changes("neutralized"));
        String state = "SELECT (SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'audited'::regclass)"
                + " || ' ' || (SELECT ev_enabled::text FROM pg_rewrite WHERE rulename = 'ruled_copy')"
                + " || ' ' || (SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'ident'::regclass AND attname = 'seq')";
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            try (ResultSet rs = st.executeQuery(state)) {
                rs.next();
                assertThat(rs.getString(1)).as("while applying").isEqualTo("audited_always=D,audited_replica=D D d");
            }
            assertThat(TargetNeutralization.restore(t)).hasSize(4);
            try (ResultSet rs = st.executeQuery(state)) {
                rs.next();
                assertThat(rs.getString(1)).as("after the restore").isEqualTo("audited_always=A,audited_replica=R A a");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Runs statements on the source database, one after the other, each in its own transaction. */
    private void onSource(String db, String... statements) throws Exception {
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    /** A role that may migrate {@code table} of {@code db}: it logs in, replicates, may create pgshift's schema, and owns the table. */
    private void migrationRole(String db, String role, String table) throws Exception {
        onSource(db, "CREATE ROLE " + role + " LOGIN REPLICATION", "GRANT CREATE ON DATABASE " + db + " TO " + role,
                "ALTER TABLE " + table + " OWNER TO " + role);
    }

    /** The configuration of {@code db} with the source reached as {@code role}. */
    private String yamlAs(String db, String role) throws Exception {
        return yaml(db, "", "").replace("port: " + servers.source().port() + ", user: postgres }", "port: " + servers.source().port() + ", user: "
                + role + " }");
    }

    /** A new database pair whose source holds {@code real/<name>.sql}. */
    private String fixture(String name) throws Exception {
        String db = servers.newDatabasePair(name.replace("-", ""));
        onSource(db, SqlResource.load("/io/pgshift/app/real/" + name + ".sql"));
        return db;
    }

    /** The statements of {@code real/<name>-changes.sql}, separated by lines holding only ";". */
    private static List<String> changes(String name) {
        List<String> statements = new ArrayList<>();
        for (String s : SqlResource.load("/io/pgshift/app/real/" + name + "-changes.sql").split("\n;\n")) {
            if (!s.isBlank()) {
                statements.add(s.trim());
            }
        }
        return statements;
    }

    private String yaml(String db, String tables, String extra) throws Exception {
        String yaml = TestMigrations.yaml(servers, "real_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder("real"));
        if (!tables.isEmpty()) {
            yaml = yaml.replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"public.*\"], " + tables + " }");
        }
        return yaml + extra;
    }

    private MigrationConfig config(String db, String tables, String extra) throws Exception {
        return new MigrationConfigLoader(System::getenv).parse(yaml(db, tables, extra), "real");
    }

    /**
     * Migrates with a writer on {@code relations} running throughout; after the load and again after the script of changes, the
     * target equals the source value by value, and every statement of the writer succeeded.
     */
    private void migrateUnderWriter(String db, MigrationConfig config, List<String> relations, List<String> script) throws Exception {
        EveryRelationWriter writer = relations.isEmpty() ? null
                : new EveryRelationWriter(servers.source().endpoint("source"), db, relations).start("real-writer-" + db);
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                for (String sql : script) {
                    st.execute(sql);
                }
            }
            if (writer != null) {
                writer.stop();
                Thread.sleep(100);
                assertThat(writer.failure()).as("a statement of the source application failed").isNull();
                assertThat(writer.transactions()).as("the writer's transactions").isPositive();
            }
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            assertThat(pipeline.failure()).isEmpty();
        }
        finally {
            if (writer != null) {
                writer.stop();
            }
        }
        TestMigrations.assertTargetEqualsSource(servers, db, config.tables());
    }
}
