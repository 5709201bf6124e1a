package io.pgshift.app.coordinator;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;

/**
 * Validates every selected table of every database: the same row count and the same md5 over the rows' text forms in key order,
 * each computed by its own server ({@link TableComparator}).
 * <p>
 * While the source is still written, a table may differ only because its newest changes are on their way. Then the tables that
 * differ are compared again after a proven catch-up (a fence through the pipeline), up to {@code rounds} times; a table that
 * differs every time is reported. With the source frozen one round is exact.
 */
public final class Validation {

    private Validation() {
    }

    /** One table's two sides. */
    public record TableResult(String database, String table, long sourceRows, String sourceChecksum, Long targetRows, String targetChecksum,
                              boolean equal) {
    }

    /** Every table's result, and whether the source was still being written. */
    public record Result(List<TableResult> tables, boolean sourceQuiet, int rounds) {

        public boolean allEqual() {
            return tables.stream().allMatch(TableResult::equal);
        }

        public List<String> differing() {
            return tables.stream().filter(t -> !t.equal()).map(t -> t.database() + ": " + t.table()).toList();
        }

        /** For reports: what differs, and how, in one sentence per table. */
        public String describeDifferences() {
            return String.join("; ", tables.stream().filter(t -> !t.equal()).map(t -> t.database() + "." + t.table() + " (source " + t.sourceRows()
                    + " rows md5 " + t.sourceChecksum() + ", target " + (t.targetRows() == null ? "has no such table" : t.targetRows() + " rows md5 "
                    + t.targetChecksum()) + ")").toList());
        }
    }

    /**
     * @param pipeline the running pipeline, to prove a catch-up before comparing a differing table again; null for a single round
     * @param rounds   comparisons of a differing table at most (1 when the source is frozen)
     */
    public static Result run(MigrationConfig config, Pipeline pipeline, int rounds, Duration catchUpTimeout)
            throws SQLException, InterruptedException, TimeoutException {
        List<TableResult> all = new ArrayList<>();
        int used = 1;
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            try (Connection s = config.source().connect(db.source(), "pgshift-validate");
                 Connection t = config.target().connect(db.target(), "pgshift-validate")) {
                List<TableInfo> tables = Catalog.selectedTables(s, config.tables());
                TableComparison comparison = TableComparator.compare(s, t, tables);
                for (int round = 2; round <= rounds && pipeline != null && !comparison.allMatch(); round++) {
                    pipeline.awaitCaughtUp(catchUpTimeout);
                    List<io.pgshift.core.TableId> differing = comparison.mismatches().stream().map(m -> m.source().table()).toList();
                    List<TableInfo> again = tables.stream().filter(ti -> differing.contains(ti.id())).toList();
                    TableComparison retry = TableComparator.compare(s, t, again);
                    comparison = merge(comparison, retry);
                    used = Math.max(used, round);
                }
                for (TableComparison.Entry e : comparison.entries()) {
                    all.add(new TableResult(db.source(), e.source().table().toString(), e.source().rowCount(), e.source().md5(),
                            e.target() == null ? null : e.target().rowCount(), e.target() == null ? null : e.target().md5(), e.matches()));
                }
            }
        }
        return new Result(all, rounds <= 1, used);
    }

    private static TableComparison merge(TableComparison first, TableComparison retry) {
        List<TableComparison.Entry> merged = new ArrayList<>();
        for (TableComparison.Entry e : first.entries()) {
            merged.add(retry.entries().stream().filter(r -> r.source().table().equals(e.source().table())).findFirst().orElse(e));
        }
        return new TableComparison(merged);
    }
}
