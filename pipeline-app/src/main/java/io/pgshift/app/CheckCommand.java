package io.pgshift.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.pgshift.app.check.CheckReport;
import io.pgshift.app.check.PrerequisiteChecks;
import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;

/** {@code pgshift check}: the prerequisite checks, one line each, and exit 1 when any fails. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check the prerequisites of a migration: one line per check (PASS, WARN or FAIL), what was found and the fix."
                + " Exits 1 when a check fails.")
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--fix-replica-identity", description = "Set REPLICA IDENTITY FULL on selected source tables that have no primary key"
            + " and no usable replica identity (said for each table before it is done).")
    boolean fixReplicaIdentity;

    @Override
    public Integer call() {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        CheckReport report = new PrerequisiteChecks(cfg, fixReplicaIdentity, line -> spec.commandLine().getErr().println(line)).run();
        spec.commandLine().getOut().print(json ? report.toJson() + System.lineSeparator() : report.toText());
        spec.commandLine().getOut().flush();
        return report.passed() ? 0 : 1;
    }
}
