package io.pgshift.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeOp;

/**
 * Before a batch is applied: replaces every value a record does not carry exactly with the source's exact
 * text, read by key in one query per table ({@link SourceRowReader}). Needed for columns of types Debezium
 * does not carry exactly ({@link DebeziumFidelity}), for single values it flagged as inexact, and for
 * TOASTed values a key change left out of the new row. A row that is gone from the source is marked
 * superseded: the record that removed it follows in the same partition.
 */
final class ExactValueResolver {

    private final TargetCatalog catalog;
    private final SourceRowReader reader;

    ExactValueResolver(TargetCatalog catalog, SourceRowReader reader) {
        this.catalog = catalog;
        this.reader = reader;
    }

    private static final class Request {
        final Set<String> columns = new LinkedHashSet<>();
        final Map<Integer, List<String>> keys = new LinkedHashMap<>();
        List<String> keyColumns;
    }

    /**
     * The columns to find the row by in the source: the target table's key; while the target has no key yet (its
     * post-data section comes after the load), the source key a snapshot row or insert carries.
     */
    private static List<String> sourceKey(TargetTable table, ChangeEvent e) {
        if (!table.keyColumns().isEmpty()) {
            return table.keyColumns();
        }
        return e.op() == ChangeOp.READ || e.op() == ChangeOp.CREATE ? e.keyColumns() : List.of();
    }

    List<SourceRecordRef> resolve(Connection target, List<SourceRecordRef> records) throws SQLException {
        Map<TableId, Request> requests = new LinkedHashMap<>();
        for (int i = 0; i < records.size(); i++) {
            ChangeEvent e = records.get(i).event();
            if (e == null || !e.op().writesRow()) {
                continue;
            }
            TargetTable table = catalog.table(target, e.table());
            List<String> needed = neededColumns(table, e);
            if (needed.isEmpty()) {
                continue;
            }
            List<String> keyColumns = sourceKey(table, e);
            if (keyColumns.isEmpty()) {
                throw new ApplyException("Table " + table.id() + " has no primary key, and columns " + needed + " must be read from the source"
                        + " because the change stream does not carry their values exactly. Add a primary key to the source table"
                        + " (and the target table), then restart the migration.", null);
            }
            if (reader == null) {
                throw new ApplyException("Columns " + needed + " of table " + table.id() + " must be read from the source, because the change"
                        + " stream does not carry their values exactly, but this applier has no source connection. Configure the source"
                        + " connection of the applier (for the Kafka Connect sink: source.hostname, source.port, source.user, source.password),"
                        + " then restart it.", null);
            }
            Request r = requests.computeIfAbsent(e.table(), t -> new Request());
            if (r.keyColumns == null) {
                r.keyColumns = keyColumns;
            }
            else if (!r.keyColumns.equals(keyColumns)) {
                throw new ApplyException("Records of table " + table.id() + " carry different keys (" + r.keyColumns + " and " + keyColumns
                        + "): was the table's key changed on the source during the migration?", null);
            }
            r.columns.addAll(needed);
            List<String> key = new ArrayList<>(keyColumns.size());
            for (String k : keyColumns) {
                String v = e.after().get(k);
                if (v == null || ChangeEvent.isFromSource(v) || ChangeEvent.isUnchanged(v)) {
                    throw new ApplyException("The key column \"" + k + "\" of table " + table.id() + " is of type " + table.column(k).typeName()
                            + ", which the change stream does not carry exactly, so its rows cannot be found in the source."
                            + " Migrating a table keyed by this type is not supported.", null);
                }
                key.add(v);
            }
            r.keys.put(i, key);
        }
        if (requests.isEmpty()) {
            return records;
        }
        List<SourceRecordRef> resolved = new ArrayList<>(records);
        for (Map.Entry<TableId, Request> entry : requests.entrySet()) {
            TargetTable table = catalog.table(target, entry.getKey());
            Request r = entry.getValue();
            List<String> columns = new ArrayList<>(r.columns);
            Map<List<String>, Map<String, String>> rows;
            try {
                rows = reader.read(table.id(), r.keyColumns, columns, new LinkedHashSet<>(r.keys.values()));
            }
            catch (SQLException ex) {
                reader.close();
                throw new SQLException("Reading exact values of " + table.id() + " from source database '" + reader.database() + "' failed: "
                        + ex.getMessage(), ex.getSQLState(), ex);
            }
            for (Map.Entry<Integer, List<String>> k : r.keys.entrySet()) {
                SourceRecordRef record = resolved.get(k.getKey());
                Map<String, String> row = rows.get(k.getValue());
                if (row == null) {
                    resolved.set(k.getKey(), record.asSuperseded());
                    continue;
                }
                ChangeEvent e = record.event();
                Map<String, String> after = new LinkedHashMap<>(e.after());
                for (String column : neededColumns(table, e)) {
                    after.put(column, row.get(column));
                }
                resolved.set(k.getKey(), record.withEvent(new ChangeEvent(e.table(), e.op(), e.key(), after, e.position(), e.commitTimeMs(), e.endsTableLoad())));
            }
        }
        return resolved;
    }

    /**
     * Columns of this row image to read from the source: those the record does not carry exactly, and those it lacks altogether
     * (a column the capture left out must never arrive as NULL or the column's default).
     */
    private static List<String> neededColumns(TargetTable table, ChangeEvent e) {
        List<String> needed = new ArrayList<>();
        for (TargetColumn column : table.columns().values()) {
            if (!column.generated() && !e.after().containsKey(column.name())) {
                needed.add(column.name());
            }
        }
        for (Map.Entry<String, String> v : e.after().entrySet()) {
            TargetColumn column = table.column(v.getKey());
            if (column == null || column.generated()) {
                continue; // a missing column is reported when the record is written
            }
            String value = v.getValue();
            boolean untouched = ChangeEvent.isUnchanged(value);
            if (untouched && e.op() == ChangeOp.UPDATE) {
                continue; // the update leaves it as it is
            }
            if (!DebeziumFidelity.carriesExactly(column, e.op() == ChangeOp.READ) || untouched || ChangeEvent.isFromSource(value)) {
                needed.add(column.name());
            }
        }
        return needed;
    }
}
