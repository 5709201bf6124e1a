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
}
