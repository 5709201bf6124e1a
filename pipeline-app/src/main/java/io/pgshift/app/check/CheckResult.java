package io.pgshift.app.check;

/**
 * One line of a check report.
 *
 * @param check  the check's stable name, such as {@code source.wal_level}
 * @param scope  what was checked: {@code source}, {@code target}, {@code kafka}, {@code tools}, or a database ({@code source db shop})
 * @param status PASS, WARN or FAIL
 * @param found  what was found, in a sentence
 * @param fix    what to do about it; empty for PASS
 */
public record CheckResult(String check, String scope, CheckStatus status, String found, String fix) {

    public static CheckResult pass(String check, String scope, String found) {
        return new CheckResult(check, scope, CheckStatus.PASS, found, "");
    }

    public static CheckResult warn(String check, String scope, String found, String fix) {
        return new CheckResult(check, scope, CheckStatus.WARN, found, fix);
    }

    public static CheckResult fail(String check, String scope, String found, String fix) {
        return new CheckResult(check, scope, CheckStatus.FAIL, found, fix);
    }
}
