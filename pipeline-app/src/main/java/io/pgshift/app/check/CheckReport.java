package io.pgshift.app.check;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** Every check's result, in the order they ran. */
public record CheckReport(String migration, List<CheckResult> results) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public CheckReport {
        results = List.copyOf(results);
    }

    public List<CheckResult> failures() {
        return results.stream().filter(r -> r.status() == CheckStatus.FAIL).collect(Collectors.toList());
    }

    public long count(CheckStatus status) {
        return results.stream().filter(r -> r.status() == status).count();
    }

    public boolean passed() {
        return failures().isEmpty();
    }

    /** The result of one check in one scope, if it ran. */
    public Optional<CheckResult> find(String check, String scope) {
        return results.stream().filter(r -> r.check().equals(check) && (scope == null || r.scope().equals(scope))).findFirst();
    }

    /** One line per check: status, name, scope, what was found, and the fix on the next line. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        int width = results.stream().mapToInt(r -> r.check().length()).max().orElse(10);
        for (CheckResult r : results) {
            b.append(String.format("%-4s  %-" + width + "s  [%s] %s%n", r.status(), r.check(), r.scope(), r.found()));
            if (!r.fix().isEmpty()) {
                b.append(" ".repeat(6 + width)).append("  fix: ").append(r.fix()).append(System.lineSeparator());
            }
        }
        b.append(String.format("%d checks: %d PASS, %d WARN, %d FAIL%n", results.size(), count(CheckStatus.PASS), count(CheckStatus.WARN),
                count(CheckStatus.FAIL)));
        return b.toString();
    }

    /** {@code {"migration": ..., "passed": ..., "counts": {...}, "checks": [...]}}. */
    public String toJson() {
        try {
            java.util.Map<String, Object> counts = new java.util.LinkedHashMap<>();
            counts.put("pass", count(CheckStatus.PASS));
            counts.put("warn", count(CheckStatus.WARN));
            counts.put("fail", count(CheckStatus.FAIL));
            java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("migration", migration);
            out.put("passed", passed());
            out.put("counts", counts);
            out.put("checks", results);
            return JSON.writeValueAsString(out);
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
