package io.pgshift.source;

import java.util.List;

import io.pgshift.core.Identifiers;
import io.pgshift.core.TableId;
import io.pgshift.core.load.LoadPart;

/**
 * One piece of a table's bulk load: the rows a {@code WHERE} predicate picks (all rows when it is empty), read with one
 * {@code COPY ... TO STDOUT} in the load's snapshot.
 *
 * @param index          the chunk's number within its table, from 0
 * @param count          the table's number of chunks
 * @param predicate      SQL over the table's columns, or empty for the whole table
 * @param estimatedBytes the table data this chunk is expected to read, to start the largest chunks first
 */
public record LoadChunk(TableId table, boolean partitioned, List<String> columns, LoadPart.Format format, int index, int count, String predicate,
                        long estimatedBytes) {

    public LoadChunk {
        columns = List.copyOf(columns);
    }

    /** The source query: a plain table is read without its inheritance children (they are tables of their own); a partitioned one whole. */
    public String copyToSql() {
        StringBuilder b = new StringBuilder("COPY (SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Identifiers.quote(columns.get(i)));
        }
        b.append(" FROM ").append(partitioned ? "" : "ONLY ").append(table.quoted());
        if (!predicate.isEmpty()) {
            b.append(" WHERE ").append(predicate);
        }
        return b.append(") TO STDOUT").append(format == LoadPart.Format.BINARY ? " (FORMAT binary)" : "").toString();
    }

    @Override
    public String toString() {
        return table + " chunk " + (index + 1) + "/" + count + (predicate.isEmpty() ? "" : " (" + predicate + ")");
    }
}
