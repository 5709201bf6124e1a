package io.pgshift.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class TableSelectionTest {

    @Test
    void includeThenExcludeWithWildcards() {
        TableSelection s = new TableSelection(List.of("public.*", "sales.orders"), List.of("public.audit_*"));
        assertThat(s.matches(new TableId("public", "customers"))).isTrue();
        assertThat(s.matches(new TableId("public", "audit_2024"))).isFalse();
        assertThat(s.matches(new TableId("sales", "orders"))).isTrue();
        assertThat(s.matches(new TableId("sales", "orders_old"))).isFalse();
    }

    @Test
    void patternCharactersOtherThanStarAreLiteral() {
        TableSelection s = new TableSelection(List.of("public.a.b", "x.(y)"), List.of());
        assertThat(s.matches(new TableId("public", "a.b"))).isTrue();
        assertThat(s.matches(new TableId("public", "aXb"))).isFalse();
        assertThat(s.matches(new TableId("x", "(y)"))).isTrue();
    }

    @Test
    void pgshiftsOwnSchemaIsNeverSelected() {
        assertThat(TableSelection.all().matches(new TableId("pgshift", "fence"))).isFalse();
    }

    @Test
    void aPatternWithoutSchemaIsRejectedWithAnExample() {
        assertThatThrownBy(() -> TableSelection.validatePattern("orders")).hasMessageContaining("schema.table").hasMessageContaining("public.*");
    }
}
