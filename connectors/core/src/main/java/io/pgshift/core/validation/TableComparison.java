package io.pgshift.core.validation;

import java.util.List;
import java.util.stream.Collectors;

/** Source and target checksums of every selected table, side by side. */
public record TableComparison(List<Entry> entries) {

    public record Entry(TableChecksum source, TableChecksum target) {

        public boolean matches() {
            return target != null && source.rowCount() == target.rowCount() && source.checksum().equals(target.checksum());
        }

        @Override
        public String toString() {
            String t = target == null ? "missing on the target"
                    : target.rowCount() + " rows, checksum " + target.checksum();
            return source.table() + ": source " + source.rowCount() + " rows, checksum " + source.checksum() + "; target " + t
                    + (matches() ? " (equal)" : " (DIFFERENT)");
        }
    }

    public boolean allMatch() {
        return entries.stream().allMatch(Entry::matches);
    }

    public List<Entry> mismatches() {
        return entries.stream().filter(e -> !e.matches()).collect(Collectors.toList());
    }

    public long totalSourceRows() {
        return entries.stream().mapToLong(e -> e.source().rowCount()).sum();
    }

    @Override
    public String toString() {
        return entries.stream().map(Entry::toString).collect(Collectors.joining("\n"));
    }
}
