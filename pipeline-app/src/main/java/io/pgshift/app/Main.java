package io.pgshift.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import io.pgshift.app.config.ConfigException;
import io.pgshift.app.demo.DemoCommand;

/** {@code pgshift}: online migration of a live PostgreSQL database to another PostgreSQL server, through Kafka. */
@Command(name = "pgshift", mixinStandardHelpOptions = true, version = "pgshift 0.1.0",
        description = "Online migration of a live PostgreSQL database to another PostgreSQL server, through Kafka.",
        subcommands = { CheckCommand.class, SchemaCommand.class, MigrateCommand.class, StatusCommand.class, CutoverCommand.class,
                ValidateCommand.class, UnfreezeCommand.class, CleanupCommand.class, DdlCommand.class, DemoCommand.class, ConfigReferenceCommand.class })
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with pgshift's error handling: a message for the operator, no stack trace. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException) {
                cmd.getErr().println("pgshift: " + e.getMessage());
                return 2;
            }
            cmd.getErr().println("pgshift: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("Failure", e);
            return 1;
        });
        return cli;
    }
}
