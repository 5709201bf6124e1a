package io.pgshift.sink;

import java.sql.SQLException;

/** Classifies target errors by SQLState: what to retry, and what to tell the operator. */
final class SqlErrors {

    private SqlErrors() {
    }

    /** Connection loss, serialization failure, deadlock, server shutdown: worth retrying. */
    static boolean isTransient(SQLException e) {
        String state = e.getSQLState();
        if (state == null) {
            return false;
        }
        return state.startsWith("08") || state.equals("40001") || state.equals("40P01") || state.equals("57P01")
                || state.equals("57P02") || state.equals("57P03") || state.equals("53300");
    }

    static String advice(String state) {
        if (state == null) {
            return "";
        }
        if (state.startsWith("23")) {
            return "The target has a constraint the source does not enforce (or holds rows the source lacks): align the target table with the source.";
        }
        if (state.startsWith("42")) {
            return "The target table's definition differs from the source's (a missing column or table, or a different type): align it with the source.";
        }
        if (state.startsWith("22")) {
            return "The target cannot store this value in the column's type: make the target column's type match the source's.";
        }
        if (state.startsWith("28")) {
            return "Check target.user and target.password.";
        }
        return "";
    }
}
