package io.pgshift.core.catalog;

import java.util.List;
import java.util.Optional;

import io.pgshift.core.TableId;

/**
 * What the catalog says of one table.
 *
 * @param primaryKey           primary-key columns in key order; empty when there is none
 * @param identityIndexColumns columns of the {@code REPLICA IDENTITY USING INDEX} index; empty when there is none
 */
public record TableInfo(TableId id, boolean partitioned, char replicaIdentity, List<String> primaryKey, List<String> identityIndexColumns,
                        long estimatedRows) {

    public TableInfo {
        primaryKey = List.copyOf(primaryKey);
        identityIndexColumns = List.copyOf(identityIndexColumns);
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
     * Why logical replication of this table would not work, when it would not: once a table is in a publication,
     * PostgreSQL refuses UPDATE and DELETE on it unless its replica identity says how to find the old row, and the
     * change stream then has nothing to find the row by on the target either. Empty when it is usable.
     */
    public Optional<String> replicaIdentityProblem() {
        switch (replicaIdentity) {
            case 'f':
                return Optional.empty();
            case 'd':
                return hasPrimaryKey() ? Optional.empty() : Optional.of("no primary key and REPLICA IDENTITY DEFAULT");
            case 'n':
                return Optional.of("REPLICA IDENTITY NOTHING");
            case 'i':
                if (identityIndexColumns.isEmpty()) {
                    return Optional.of("REPLICA IDENTITY USING INDEX, but that index no longer exists");
                }
                if (hasPrimaryKey() && !identityIndexColumns.containsAll(primaryKey)) {
                    return Optional.of("REPLICA IDENTITY USING INDEX on columns " + identityIndexColumns + " that do not include the primary key "
                            + primaryKey + ", so deletes would not carry the key");
                }
                return Optional.empty();
            default:
                return Optional.of("unknown replica identity '" + replicaIdentity + "'");
        }
    }
}
