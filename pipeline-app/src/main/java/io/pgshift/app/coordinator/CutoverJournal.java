package io.pgshift.app.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a cutover in progress has done, kept in the work directory ({@code cutover-journal.json}) so that a restart after a crash knows
 * it: the command, the step it reached, which source databases it froze and when, and its report so far. Written at every step
 * (a new file, forced to disk, then moved over the old one, so a crash leaves the old or the new one, never half of either); removed
 * when the cutover completed or was aborted; kept when it failed with a frozen source, so that {@code abort} still knows what to thaw.
 */
final class CutoverJournal {

    static final String FILE = "cutover-journal.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The journal's content. {@code step}: the step entered last, or "failed" with {@code reason}. */
    static final class Entry {
        public String commandId;
        public String sentBy;
        public boolean freezeSource;
        public boolean cleanup;
        public int timeoutSeconds;
        public String startedAt;
        public String step;
        public String reason;
        public List<String> frozen = new ArrayList<>();
        public String frozenAt;
        /** The report as it stood when the finish step began: what a restart completes with. */
        public String report;
    }

    private final Path file;

    CutoverJournal(Path workDir) {
        this.file = workDir.resolve(FILE);
    }

    Optional<Entry> read() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), Entry.class));
        }
        catch (IOException e) {
            throw new UncheckedIOException("The cutover journal " + file + " cannot be read (" + e.getMessage() + "): it says what an interrupted"
                    + " cutover did. Check whether the source databases are frozen ('pgshift unfreeze' makes them writable), then move the file"
                    + " away and start again.", e);
        }
    }

    void write(Entry entry) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(FILE + ".tmp");
            // A stream, not a channel: an abort interrupts the cutover's thread, and an interrupted channel closes without writing.
            try (java.io.FileOutputStream out = new java.io.FileOutputStream(tmp.toFile())) {
                out.write(JSON.writeValueAsBytes(entry));
                out.getFD().sync();
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(file.getParent());
        }
        catch (IOException e) {
            throw new UncheckedIOException("Cannot write the cutover journal " + file + ": " + e.getMessage() + ". The cutover does not go on"
                    + " without it (a crash would leave the source frozen with nothing saying so); free space in the work directory.", e);
        }
    }

    /** The rename itself survives a power loss only once the directory is synced (Linux; elsewhere this may not be possible). */
    private static void syncDirectory(Path dir) {
        try (var ch = java.nio.channels.FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
        catch (IOException | RuntimeException e) {
            // best effort: a crash of the process (not of the machine) keeps the rename either way
        }
    }

    void clear() {
        try {
            Files.deleteIfExists(file);
        }
        catch (IOException e) {
            throw new UncheckedIOException("Cannot remove the cutover journal " + file + ": " + e.getMessage(), e);
        }
    }
}
