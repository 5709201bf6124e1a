package io.pgshift.core.catalog;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.pgshift.core.TableId;

/**
 * What the catalog says of one table.
 *
 * @param primaryKey           primary-key columns in key order; empty when there is none
 * @param identityIndexColumns columns of the {@code REPLICA IDENTITY USING INDEX} index; empty when there is none
 * @param identityProblems     per relation that receives this table's writes (the table, or each leaf partition) and has no
 *                             replica identity pgshift can use: relation name (quoted) to the reason ({@code tables.sql})
 */
public record TableInfo(TableId id, boolean partitioned, char replicaIdentity, List<String> primaryKey, List<String> identityIndexColumns,
                        long estimatedRows, Map<String, String> identityProblems) {

    public TableInfo {
        primaryKey = List.copyOf(primaryKey);
        identityIndexColumns = List.copyOf(identityIndexColumns);
        identityProblems = Collections.unmodifiableMap(new LinkedHashMap<>(identityProblems));
    }

    public boolean hasPrimaryKey() {
        return !primaryKey.isEmpty();
    }

    /**
     * The columns that identify a row: the primary key, or else the replica identity index (unique, not
     * null); empty when rows can only be matched on every column (REPLICA IDENTITY FULL without a key).
     */
    public List<String> keyColumns() {
        if (hasPrimaryKey()) {
            return primaryKey;
        }
        return replicaIdentity == 'i' ? identityIndexColumns : List.of();
    }

    /** Whether the change stream's key comes from the replica identity index rather than a primary key. */
    public boolean keyedByIdentityIndex() {
        return !hasPrimaryKey() && replicaIdentity == 'i' && !identityIndexColumns.isEmpty();
    }

    /**
     * Why publishing this table would break the source or the migration, when it would: once a relation is in a publication,
     * PostgreSQL refuses UPDATE and DELETE on it unless its replica identity says how to find the old row, and checks that on
     * the relation written (each leaf partition); the change stream must also carry the table's key. Empty when it is usable.
     * The rule is PostgreSQL's own; {@code tables.sql} documents it.
     */
    public Optional<String> replicaIdentityProblem() {
        if (identityProblems.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(identityProblems.entrySet().stream()
                .map(e -> e.getKey().equals(id.quoted()) ? e.getValue()
                        : "partition " + e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; ")));
    }

    /** The relations (quoted names) on which {@code REPLICA IDENTITY FULL} makes this table usable: those with a problem. */
    public Set<String> identityFixTargets() {
        return identityProblems.keySet();
    }
}
