package io.pgshift.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import io.debezium.function.Predicates;
import io.pgshift.core.TableId;

/** The table include list, read by Debezium's own filter exactly as the connector reads it. */
class DebeziumPropertiesTest {

    private static Predicate<String> debeziumFilter(List<TableId> tables) {
        return Predicates.includes(DebeziumProperties.includeList(tables), Function.identity());
    }

    @Test
    void selectsExactlyTheTablesEvenWhenNamesDifferOnlyInCaseOrHoldRegexCharacters() {
        Predicate<String> filter = debeziumFilter(List.of(new TableId("public", "Items"), new TableId("public", "a,b"),
                new TableId("s.x", "t(1)+"), new TableId("public", "Ünïcødé \"q\"")));
        assertThat(filter.test("public.Items")).isTrue();
        assertThat(filter.test("public.items")).as("case matters in PostgreSQL names").isFalse();
        assertThat(filter.test("public.a,b")).isTrue();
        assertThat(filter.test("s.x.t(1)+")).isTrue();
        assertThat(filter.test("s.x.t(1)")).isFalse();
        assertThat(filter.test("sAx.t(1)+")).as("a dot is not a wildcard").isFalse();
        assertThat(filter.test("public.Ünïcødé \"q\"")).isTrue();
        assertThat(filter.test("pgshift.fence")).as("the fence table is always captured").isTrue();
        assertThat(filter.test("public.other")).isFalse();
    }

    /**
     * With schema changes captured, Debezium also captures what the selection picks (a table created or renamed into it, which the
     * capture adds to the publication): include patterns with {@code *}, exclude patterns, never pgshift's schema.
     */
    @Test
    void theSelectionAsDebeziumPatternsPicksWhatTheSelectionPicks() {
        io.pgshift.core.TableSelection selection = new io.pgshift.core.TableSelection(List.of("public.*", "sales.order_*", "a,b.*"),
                List.of("public.audit_*", "public.tmp"));
        Predicate<String> filter = Predicates.includes(DebeziumProperties.includeList(List.of()) + "," + DebeziumProperties.selectionList(selection),
                Function.identity());
        for (String name : List.of("public.new_table", "public.Mixed Case", "public.a,b", "public.tmp2", "sales.order_lines", "a,b.x",
                "public.audit", "public.x.y")) {
            TableId t = new TableId(name.substring(0, name.indexOf('.')), name.substring(name.indexOf('.') + 1));
            assertThat(filter.test(name)).as(name).isEqualTo(selection.matches(t));
        }
        assertThat(filter.test("public.audit_log")).isFalse();
        assertThat(filter.test("public.tmp")).isFalse();
        assertThat(filter.test("sales.orders")).isFalse();
        assertThat(filter.test("sales.order_x")).isTrue();
        assertThat(filter.test("pgshift.capture_settings")).isFalse();
        assertThat(filter.test("pgshift.ddl")).as("pgshift's own capture table").isTrue();
        assertThat(filter.test("Public.new_table")).as("case matters").isFalse();
    }

    /** The selection's patterns as LIKE patterns for the DDL capture: '*' is '%', and '%', '_' and '\\' are literal. */
    @Test
    void selectionPatternsAsLikePatterns() {
        assertThat(SourceSetup.likePattern("public.*")).isEqualTo("public.%");
        assertThat(SourceSetup.likePattern("public.audit_*")).isEqualTo("public.audit\\_%");
        assertThat(SourceSetup.likePattern("s%.t\\x")).isEqualTo("s\\%.t\\\\x");
    }

    /** Debezium trims every entry of its lists: a name that ends (or starts) with white space must still be captured, and only it. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"t ", " lead", "x  y", "tab\tname", "nbsp\u00a0", "line\nbreak", "€ ", "  "})
    void namesWithWhiteSpaceAreCapturedExactly(String table) {
        Predicate<String> filter = debeziumFilter(List.of(new TableId("public", table)));
        assertThat(filter.test("public." + table)).as("'%s' captured", table).isTrue();
        assertThat(filter.test("public." + table.strip())).as("'%s' only", table).isEqualTo(table.strip().equals(table));
        DebeziumProperties.requireCaptured(DebeziumProperties.includeList(List.of(new TableId("public", table))), List.of(new TableId("public", table)));
    }

    @Test
    void ownedPropertiesAreTheOnesPgshiftSets() {
        CaptureConfig config = new CaptureConfig(new io.pgshift.core.MigrationNames("shop"),
                io.pgshift.core.PgEndpoint.of("source", "127.0.0.1", 5432, "postgres", io.pgshift.core.Secret.of("pw")), "db",
                io.pgshift.core.TableSelection.all(), "127.0.0.1:9092", java.util.Map.of(), 1, (short) 1, java.util.Map.of(), 0, true, LoadOptions.defaults(), true);
        java.util.Properties p = DebeziumProperties.build(config, List.of(
                new io.pgshift.core.catalog.TableInfo(new TableId("public", "t"), false, 'd', List.of("id"), List.of(), 0, java.util.Map.of()),
                new io.pgshift.core.catalog.TableInfo(new TableId("public", "u.v"), false, 'i', List.of(), List.of("a", "b"), 0, java.util.Map.of())));
        assertThat(p.stringPropertyNames()).containsAll(DebeziumProperties.OWNED);
        assertThat(DebeziumProperties.masked(p)).containsEntry("database.password", "******").containsEntry("slot.name", "pgshift_shop_db");
        assertThat(p.getProperty("message.key.columns")).isEqualTo("(?-i)pgshift\\.fence:id;(?-i)pgshift\\.ddl:id;(?-i)public\\.u\\.v:a,b");
    }

    /**
     * The connector configuration for a Kafka Connect cluster: the same lossless settings and output settings, the custom converter
     * with its inexact types, and nothing of the embedded engine (offset storage, Kafka clients, topic naming strategy).
     */
    @Test
    void theConnectSourceConfigurationIsTheCapturesWithoutTheEngine() {
        CaptureConfig config = new CaptureConfig(new io.pgshift.core.MigrationNames("shop"),
                io.pgshift.core.PgEndpoint.of("source", "127.0.0.1", 5432, "postgres", io.pgshift.core.Secret.of("pw")), "db",
                io.pgshift.core.TableSelection.all(), "127.0.0.1:9092", java.util.Map.of("security.protocol", "SASL_SSL"), 1, (short) 1,
                java.util.Map.of("snapshot.fetch.size", "2048"), 0, true, LoadOptions.defaults(), false, true, false);
        java.util.Map<String, String> c = DebeziumProperties.forConnect(config, List.of(
                new io.pgshift.core.catalog.TableInfo(new TableId("public", "t"), false, 'd', List.of("id"), List.of(), 0, java.util.Map.of())),
                java.util.Set.of(790, 1231));
        assertThat(c).containsEntry("database.options", io.pgshift.core.PgEndpoint.SESSION_OPTIONS).containsEntry("snapshot.mode", "no_data")
                .containsEntry("converters", "pgshift").containsEntry("pgshift.type", FromSourceConverter.class.getName())
                .containsEntry("snapshot.fetch.size", "2048").containsEntry("decimal.handling.mode", "string")
                .containsEntry("publication.autocreate.mode", "disabled").containsEntry("event.converting.failure.handling.mode", "fail");
        assertThat(c.get("pgshift." + FromSourceConverter.NATIVE_TYPES).split(",")).containsExactlyInAnyOrder("790", "1231");
        assertThat(c).doesNotContainKeys("offset.storage", "offset.storage.topic", "offset.flush.interval.ms", "bootstrap.servers",
                "security.protocol", "topic.naming.strategy");
        assertThat(config.tableTopic(new TableId("public", "Mixed \"Quoted\" Names"))).isEqualTo("pgshift.shop.db.public.Mixed__Quoted__Names");
    }
}
