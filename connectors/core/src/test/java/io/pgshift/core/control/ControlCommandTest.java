package io.pgshift.core.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ControlCommandTest {

    private static ControlCommand parse(String json) {
        return ControlCommand.parse(json.getBytes(StandardCharsets.UTF_8), "shop");
    }

    @Test
    void roundTripsItsOwnJson() {
        ControlCommand sent = ControlCommand.create("shop", ControlCommand.Type.CUTOVER, true, false, 120);
        ControlCommand read = ControlCommand.parse(sent.toJson(), "shop");
        assertThat(read).isEqualTo(sent);
    }

    @Test
    void readsAMinimalCommandFromAnyProducer() {
        ControlCommand c = parse("{\"version\":1,\"migration\":\"shop\",\"id\":\"c-1\",\"command\":\"cutover\",\"freezeSource\":true}");
        assertThat(c.type()).isEqualTo(ControlCommand.Type.CUTOVER);
        assertThat(c.freezeSource()).isTrue();
        assertThat(c.cleanup()).isFalse();
        assertThat(c.timeoutSeconds()).isEqualTo(ControlCommand.DEFAULT_TIMEOUT_SECONDS);
        assertThat(parse("{\"version\":1,\"migration\":\"shop\",\"id\":\"a\",\"command\":\"abort\"}").type()).isEqualTo(ControlCommand.Type.ABORT);
    }

    @Test
    void saysWhatIsWrongWithABadCommand() {
        assertThatThrownBy(() -> parse("cutover now please")).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> parse("[1,2]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> ControlCommand.parse(new byte[0], "shop")).hasMessageContaining("no value");
        assertThatThrownBy(() -> parse("{\"migration\":\"shop\",\"id\":\"x\",\"command\":\"cutover\"}")).hasMessageContaining("'version' is missing");
        assertThatThrownBy(() -> parse("{\"version\":2,\"migration\":\"shop\",\"id\":\"x\",\"command\":\"cutover\"}"))
                .hasMessageContaining("version 2 is not supported");
        assertThatThrownBy(() -> parse("{\"version\":1,\"migration\":\"shop\",\"command\":\"cutover\"}")).hasMessageContaining("'id' is missing");
        assertThatThrownBy(() -> parse("{\"version\":1,\"migration\":\"shop\",\"id\":\"x\",\"command\":\"explode\"}"))
                .hasMessageContaining("unknown command 'explode'");
        assertThatThrownBy(() -> parse("{\"version\":1,\"migration\":\"shop\",\"id\":\"x\",\"command\":\"cutover\",\"freezeSorce\":true}"))
                .hasMessageContaining("unknown field(s) [freezeSorce]");
        assertThatThrownBy(() -> parse("{\"version\":1,\"migration\":\"shop\",\"id\":\"x\",\"command\":\"cutover\",\"freezeSource\":\"yes\"}"))
                .hasMessageContaining("'freezeSource' must be true or false");
        assertThatThrownBy(() -> parse("{\"version\":1,\"migration\":\"shop\",\"id\":\"x\",\"command\":\"cutover\",\"timeoutSeconds\":0}"))
                .hasMessageContaining("'timeoutSeconds' must be a whole number from 1 to 86400");
    }

    @Test
    void tellsACommandOfAnotherMigrationApart() {
        assertThatThrownBy(() -> parse("{\"version\":1,\"migration\":\"billing\",\"id\":\"x\",\"command\":\"cutover\"}"))
                .isInstanceOf(ControlCommand.ForeignMigrationException.class)
                .hasMessageContaining("for migration 'billing', not 'shop'");
    }
}
