package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class ConfigReferenceTest {

    @Test
    void docsConfigurationIsWhatTheDeclarationsGenerate() throws Exception {
        assertThat(Files.readString(Path.of("..", "docs", "configuration.md")))
                .as("docs/configuration.md is stale: regenerate it with bin/pgshift config-reference > docs/configuration.md")
                .isEqualTo(ConfigReferenceCommand.reference());
    }
}
