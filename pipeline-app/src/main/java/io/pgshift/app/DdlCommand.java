package io.pgshift.app;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.sink.SchemaChangeHolds;

/**
 * {@code pgshift ddl list|apply|skip|retry}: the schema changes of the source that a target database holds (not carried by pgshift,
 * refused by the target, or columns the target lacks), and their resolution. It writes the target's {@code pgshift.ddl_held} directly,
 * so it works whether or not {@code pgshift migrate} runs; a running applier sees the resolution within a second.
 */
@Command(name = "ddl", mixinStandardHelpOptions = true, description = "List and resolve the schema changes the target holds.",
        subcommands = { DdlCommand.ListHeld.class, DdlCommand.Apply.class, DdlCommand.Skip.class, DdlCommand.Retry.class })
final class DdlCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, scope = picocli.CommandLine.ScopeType.INHERIT, description = "The migration's YAML file.")
    Path config;

    @Option(names = { "-d", "--database" }, scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "The source or target database (needed when the migration has several and the id is held in more than one).")
    String database;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    private List<MigrationConfig.DatabaseMapping> databases(MigrationConfig cfg) {
        List<MigrationConfig.DatabaseMapping> dbs = cfg.databases().stream()
                .filter(d -> database == null || database.equals(d.source()) || database.equals(d.target())).toList();
        if (dbs.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--database " + database + " is not a source or target database of"
                    + " migration '" + cfg.name() + "' (its databases: " + cfg.databases() + ")");
        }
        return dbs;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the held schema changes, with what they hold and the fix.")
    static final class ListHeld implements Callable<Integer> {
        @ParentCommand
        DdlCommand parent;
        @Option(names = "--all", description = "Also the resolved ones.")
        boolean all;

        @Override
        public Integer call() throws Exception {
            MigrationConfig cfg = MigrationConfigLoader.load(parent.config);
            PrintWriter out = parent.spec.commandLine().getOut();
            int n = 0;
            for (MigrationConfig.DatabaseMapping db : parent.databases(cfg)) {
                try (Connection c = cfg.target().connect(db.target(), "pgshift-ddl")) {
                    for (SchemaChangeHolds.Held h : SchemaChangeHolds.list(c, !all)) {
                        n++;
                        out.printf("%s: schema change %d (%s)%s%n  %s%n  holds %s; %d partition(s) reached it%n  reason: %s%n  fix: %s%n",
                                db.target(), h.id(), h.tag(), h.resolution() == null ? " HELD since " + h.heldAt()
                                        : " resolved: " + h.resolution() + " by " + h.resolvedBy(), h.statement().strip(),
                                h.tables().isEmpty() ? "no table, only the cutover" : "table(s) " + String.join(", ", h.tables()), h.arrived(), h.reason(), h.fix());
                    }
                }
            }
            if (n == 0) {
                out.println("No schema change is held" + (all ? " or was resolved." : "."));
            }
            out.flush();
            return 0;
        }
    }

    /** The three resolutions share their work; each subcommand names its resolution. */
    abstract static class Resolve implements Callable<Integer> {
        @ParentCommand
        DdlCommand parent;
        @Parameters(index = "0", paramLabel = "ID", description = "The held schema change's id (as 'pgshift ddl list' or the status shows it).")
        long id;
        private final SchemaChangeHolds.Resolution resolution;

        Resolve(SchemaChangeHolds.Resolution resolution) {
            this.resolution = resolution;
        }

        @Override
        public Integer call() throws Exception {
            MigrationConfig cfg = MigrationConfigLoader.load(parent.config);
            PrintWriter out = parent.spec.commandLine().getOut();
            List<MigrationConfig.DatabaseMapping> holding = new ArrayList<>();
            for (MigrationConfig.DatabaseMapping db : parent.databases(cfg)) {
                try (Connection c = cfg.target().connect(db.target(), "pgshift-ddl")) {
                    if (SchemaChangeHolds.list(c, true).stream().anyMatch(h -> h.id() == id)) {
                        holding.add(db);
                    }
                }
            }
            if (holding.isEmpty()) {
                parent.spec.commandLine().getErr().println("No target database of migration '" + cfg.name() + "' holds schema change " + id
                        + ": 'pgshift ddl list -c " + parent.config + "' shows the held ones.");
                return 1;
            }
            if (holding.size() > 1) {
                parent.spec.commandLine().getErr().println("Schema change " + id + " is held in target databases "
                        + holding.stream().map(MigrationConfig.DatabaseMapping::target).toList() + ": name one with --database.");
                return 1;
            }
            MigrationConfig.DatabaseMapping db = holding.get(0);
            String by = System.getProperty("user.name", "unknown") + "@" + java.net.InetAddress.getLocalHost().getHostName();
            try (Connection c = cfg.target().connect(db.target(), "pgshift-ddl")) {
                c.setAutoCommit(false);
                SchemaChangeHolds.Held h = SchemaChangeHolds.resolve(c, db.target(), id, resolution, by);
                out.printf("Schema change %d (%s) in target database '%s': %s%n", id, h.tag(), db.target(), resolution.outcome());
            }
            catch (IllegalArgumentException e) {
                parent.spec.commandLine().getErr().println(e.getMessage());
                return 1;
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = "Say that you made the target match (ran the change there yourself): the held tables go on past it.")
    static final class Apply extends Resolve {
        Apply() {
            super(SchemaChangeHolds.Resolution.APPLY);
        }
    }

    @Command(name = "skip", mixinStandardHelpOptions = true,
            description = "Go on without the change: the target does not get it (changes that depend on it may fail there, and validation may differ).")
    static final class Skip extends Resolve {
        Skip() {
            super(SchemaChangeHolds.Resolution.SKIP);
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Let the applier try the change again (after you fixed what made the target refuse it).")
    static final class Retry extends Resolve {
        Retry() {
            super(SchemaChangeHolds.Resolution.RETRY);
        }
    }
}
