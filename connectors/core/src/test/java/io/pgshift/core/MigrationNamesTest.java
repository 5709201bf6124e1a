package io.pgshift.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MigrationNamesTest {

    private final MigrationNames names = new MigrationNames("shop");

    @Test
    void namesFollowPostgresAndKafkaRules() {
        assertThat(names.slotName("listdb")).isEqualTo("pgshift_shop_listdb");
        assertThat(names.slotName("My-DB")).matches("[a-z0-9_]{1,63}").startsWith("pgshift_shop_my_db_");
        assertThat(names.slotName("x".repeat(100))).hasSizeLessThanOrEqualTo(63);
        assertThat(names.tableTopic("listdb", new TableId("public", "orders"))).isEqualTo("pgshift.shop.listdb.public.orders");
        assertThat(names.applierGroup("migratedb")).isEqualTo("pgshift.shop.migratedb.applier");
    }

    @Test
    void tablesWhoseNamesSanitizeAlikeGetDistinctTopics() {
        String a = names.tableTopic("db", new TableId("public", "Order Items"));
        String b = names.tableTopic("db", new TableId("public", "Order_Items"));
        String c = names.tableTopic("db", new TableId("public", "Order\"Items"));
        assertThat(a).matches("[a-zA-Z0-9._-]+").isNotEqualTo(b).isNotEqualTo(c);
        assertThat(b).isEqualTo("pgshift.shop.db.public.Order_Items");
    }

    /** The sample: "taxe€" and "taxe$" both sanitize to taxe_, and long multi-byte names are cut; every one keeps its own topic. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"taxe€|taxe$|taxe_", "Größe|Gr__e|GrÖße", "a.b|a_b|a$b", "ÄÖÜäöüßéèêëàâîïôûçñ_ÄÖÜäöüßéèêëàâîïôûçñ_ab|"
            + "ÄÖÜäöüßéèêëàâîïôûçñ_ÄÖÜäöüßéèêëàâîïôûçñ_ac", "t\u0301|t"})
    void namesThatSanitizeAlikeNeverShareATopic(String row) {
        java.util.Map<TableId, String> topics = new java.util.LinkedHashMap<>();
        for (String table : row.split("\\|")) {
            topics.put(new TableId("public", table), names.tableTopic("db", new TableId("public", table)));
        }
        assertThat(topics.values()).allMatch(t -> t.matches("[a-zA-Z0-9._-]{1,249}")).doesNotHaveDuplicates();
        assertThat(MigrationNames.topicCollisions(topics)).isEmpty();
    }

    /** A dot in a schema or table name makes two different tables read alike: the topic's hash is of the exact pair. */
    @Test
    void dotsInNamesDoNotMakeTwoTablesOne() {
        String a = names.tableTopic("db", new TableId("a.b", "c"));
        String b = names.tableTopic("db", new TableId("a", "b.c"));
        assertThat(a).isNotEqualTo(b);
    }

    /** Kafka refuses a topic whose name equals another's once '.' is read as '_': such tables are found before any topic is made. */
    @Test
    void topicsKafkaWouldConfuseAreFound() {
        java.util.Map<TableId, String> topics = new java.util.LinkedHashMap<>();
        TableId x = new TableId("public_a", "b");
        TableId y = new TableId("public", "a_b");
        topics.put(x, names.tableTopic("db", x));
        topics.put(y, names.tableTopic("db", y));
        assertThat(MigrationNames.topicCollisions(topics)).containsValue(java.util.List.of(x, y));
    }
}
