package io.tedge.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The code of {@code exit [code]} in the Gogo shell, and the error for anything else. */
class ShellExitTest {
    @Test
    void exitTakesAnOptionalCodeFrom0To255() {
        assertThat(ShellExit.code(List.of())).isZero();
        assertThat(ShellExit.code(List.of("3"))).isEqualTo(3);
        assertThat(ShellExit.code(List.of(255))).isEqualTo(255);
    }

    @Test
    void anythingElseIsRefusedWithTheUsage() {
        assertThatThrownBy(() -> ShellExit.code(List.of("now"))).hasMessage("exit: 'now' is not an exit code. " + ShellExit.USAGE);
        assertThatThrownBy(() -> ShellExit.code(List.of("256"))).hasMessageContaining("'256' is not an exit code");
        assertThatThrownBy(() -> ShellExit.code(List.of("-1"))).hasMessageContaining("'-1' is not an exit code");
        assertThatThrownBy(() -> ShellExit.code(List.of("1", "2"))).hasMessage("exit: too many arguments. " + ShellExit.USAGE);
    }
}
