package io.pgshift.app.coordinator;

import java.util.ArrayList;
import java.util.List;

/**
 * What a cutover did and proved, saved as JSON in the work directory ({@code reports/cutover-<time>.json}), published on the status
 * topic (type {@code report}) and printed by {@code pgshift cutover}. Times are ISO-8601 instants, durations milliseconds.
 */
public final class CutoverReport {

    /** One step: freeze, catch-up, sequences, validation, finish. */
    public record Step(String name, String startedAt, long durationMs, String outcome) {
    }

    /**
     * The validation's work: {@code mode} "changed" or "full" ({@code cutover.validation}); chunks and rows validated online before the
     * cutover (by the passes the result rests on) and the time those took; chunks and changed rows compared at the cutover and its time.
     */
    public record ValidationSummary(String mode, long onlineChunks, long onlineRows, long onlineMs, long cutoverChunks, long cutoverChangedRows,
                                    long cutoverMs) {

        static ValidationSummary of(Validation.Result r) {
            return new ValidationSummary(r.mode(), r.onlineChunks(), r.onlineRows(), r.onlineMs(), r.cutoverChunks(), r.cutoverRows(), r.durationMs());
        }
    }

    /** The fence of one source database: every change committed before {@code lsn} is in the target. */
    public record Fence(String database, String lsn, long fenceId) {
    }

    public final String type = "report";
    public String migration;
    public String commandId;
    public String requestedBy;
    /** COMPLETED, FAILED or ABORTED. */
    public String result;
    /** Why it failed or was aborted; null when completed. */
    public String reason;
    public String startedAt;
    public String finishedAt;
    public long durationMs;
    public boolean sourceFrozen;
    public String frozenAt;
    /** Freeze → COMPLETED: how long the source refused writes before the target was proven ready. Null without a freeze. */
    public Long downtimeMs;
    public final List<Step> steps = new ArrayList<>();
    public final List<Fence> fences = new ArrayList<>();
    public final List<SequenceSync.Entry> sequences = new ArrayList<>();
    /** Source sequences the target does not have (those of tables left out of the migration). */
    public final List<String> sequencesNotOnTarget = new ArrayList<>();
    public final List<Validation.TableResult> tables = new ArrayList<>();
    /** What the validation compared online and at the cutover, and how long each took. */
    public ValidationSummary validation;
    public final List<String> cleanup = new ArrayList<>();
    public final List<String> notes = new ArrayList<>();
    /** Where this report was saved. */
    public String file;

    /** A few lines for a terminal. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append("Cutover ").append(result).append(" for migration '").append(migration).append("' (command ").append(commandId).append(")\n");
        if (reason != null) {
            b.append("  reason: ").append(reason).append('\n');
        }
        for (Step s : steps) {
            b.append(String.format("  %-12s %8d ms  %s%n", s.name(), s.durationMs(), s.outcome()));
        }
        fences.forEach(f -> b.append("  fence of ").append(f.database()).append(" at LSN ").append(f.lsn()).append('\n'));
        if (downtimeMs != null) {
            b.append(String.format("  downtime (source frozen -> %s): %.3f s%n", result, downtimeMs / 1000.0));
        }
        long equal = tables.stream().filter(Validation.TableResult::equal).count();
        if (!tables.isEmpty()) {
            b.append("  tables: ").append(equal).append(" of ").append(tables.size()).append(" equal (row counts and checksums of every row, by chunk)\n");
        }
        if (validation != null) {
            b.append(String.format("  validation (%s): online %d chunks, %d rows in %d ms; at the cutover %d chunks and %d changed rows in %d ms%n",
                    validation.mode(), validation.onlineChunks(), validation.onlineRows(), validation.onlineMs(), validation.cutoverChunks(),
                    validation.cutoverChangedRows(), validation.cutoverMs()));
        }
        tables.stream().filter(t -> !t.equal()).forEach(t -> {
            b.append("  DIFFERS: ").append(t.database()).append('.').append(t.table()).append(": ").append(t.basis()).append('\n');
            t.differences().forEach(d -> b.append("    range ").append(d.range()).append(": source ").append(d.sourceRows()).append(" rows, target ")
                    .append(d.targetRows() == null ? "has no such table" : d.targetRows() + " rows").append(d.rows().isEmpty() ? "" : "; rows " + d.rows())
                    .append('\n'));
        });
        if (!sequences.isEmpty()) {
            b.append("  sequences set: ").append(sequences.size()).append('\n');
        }
        notes.forEach(n -> b.append("  note: ").append(n).append('\n'));
        cleanup.forEach(c -> b.append("  cleanup: ").append(c).append('\n'));
        if (file != null) {
            b.append("  report: ").append(file).append('\n');
        }
        return b.toString();
    }
}
