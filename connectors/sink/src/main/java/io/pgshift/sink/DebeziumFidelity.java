package io.pgshift.sink;

import io.pgshift.core.change.DebeziumTypes;

/**
 * Which target columns the applier takes from Debezium's records as they are ({@link DebeziumTypes}); every other value is
 * read from the source by key when applied (see {@link SourceRowReader}). In the snapshot, {@code date} values also lose
 * their era (44 BC arrives as AD 44), so snapshot rows read dates from the source.
 */
final class DebeziumFidelity {

    private DebeziumFidelity() {
    }

    static boolean carriesExactly(TargetColumn column, boolean snapshot) {
        if (snapshot && "date".equals(column.baseType())) {
            return false;
        }
        return carriesExactly(column);
    }

    static boolean carriesExactly(TargetColumn column) {
        return DebeziumTypes.carriesExactly(column.baseType(), column.baseKind(), column.array());
    }
}
