package io.pgshift.app;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.schema.SchemaMigrator;
import io.pgshift.app.schema.SchemaSection;

/** {@code pgshift schema}: copies the selected schema to the target, pre-data, post-data or both. */
@Command(name = "schema", mixinStandardHelpOptions = true,
        description = "Copy the schema of the selected tables (and the types, functions, views and sequences of each database) to the target"
                + " with pg_dump --schema-only --no-owner --no-privileges and pg_restore. pre-data: what the load needs; post-data: indexes,"
                + " constraints, foreign keys, triggers (and a refresh of materialized views). Running it again is safe.")
final class SchemaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Option(names = "--section", paramLabel = "pre-data|post-data", description = "Apply only this section (default: pre-data, then post-data).")
    String section;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        List<SchemaSection> sections = section == null ? List.of(SchemaSection.PRE_DATA, SchemaSection.POST_DATA) : List.of(SchemaSection.of(section));
        for (MigrationConfig.DatabaseMapping db : cfg.databases()) {
            SchemaMigrator migrator = new SchemaMigrator(cfg.source(), db.source(), cfg.target(), db.target(), cfg.tables(), cfg.workDir(),
                    cfg.load().indexJobs());
            for (SchemaSection s : sections) {
                spec.commandLine().getOut().println(migrator.apply(s).message());
            }
        }
        return 0;
    }
}
