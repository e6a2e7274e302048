package io.tedge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code bin/tedge --config-dir DIR ...}: the option is taken out before the command runs. */
class CliTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                // args, expected dir (null: absent), remaining args
                Arguments.of("--config-dir /etc/x config get c8y.url", "/etc/x", "config get c8y.url"),
                Arguments.of("--config-dir=/etc/x config get c8y.url", "/etc/x", "config get c8y.url"),
                Arguments.of("config --config-dir /etc/x get c8y.url", "/etc/x", "config get c8y.url"),
                Arguments.of("config get c8y.url --config-dir /etc/x", "/etc/x", "config get c8y.url"),
                Arguments.of("config get c8y.url --config-dir=/etc/x", "/etc/x", "config get c8y.url"),
                Arguments.of("mqtt pub a/b --config-dir=relative/dir msg", "relative/dir", "mqtt pub a/b msg"),
                Arguments.of("config list", null, "config list"),
                Arguments.of("", null, ""),
                // the last one wins
                Arguments.of("--config-dir /a --config-dir=/b config list", "/b", "config list"),
                Arguments.of("--config-dir=/a config list --config-dir /b", "/b", "config list"),
                // missing value
                Arguments.of("config list --config-dir", "", "config list"),
                Arguments.of("--config-dir", "", ""),
                Arguments.of("--config-dir= config list", "", "config list"),
                // after --, it is an argument of the command
                Arguments.of("mqtt pub a/b -- --config-dir", null, "mqtt pub a/b -- --config-dir"),
                Arguments.of("mqtt pub a/b -- --config-dir=/x", null, "mqtt pub a/b -- --config-dir=/x"),
                Arguments.of("--config-dir /a mqtt pub a/b -- --config-dir /b", "/a", "mqtt pub a/b -- --config-dir /b"),
                // similar spellings are not the option
                Arguments.of("--config-directory /x config list", null, "--config-directory /x config list"),
                Arguments.of("-config-dir /x", null, "-config-dir /x"));
    }

    private static List<String> split(String s) {
        return s.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(s.split(" ")));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cases")
    void extractConfigDir(String argv, String dir, String rest) {
        List<String> args = split(argv);
        assertThat(Cli.extractConfigDir(args)).isEqualTo(dir);
        assertThat(args).containsExactlyElementsOf(split(rest));
    }

    @Test
    void aValueWithSpacesOrAnEqualsSign() {
        List<String> args = new ArrayList<>(List.of("--config-dir", "/path with spaces/x=y", "config", "list"));
        assertThat(Cli.extractConfigDir(args)).isEqualTo("/path with spaces/x=y");
        assertThat(args).containsExactly("config", "list");
        List<String> eq = new ArrayList<>(List.of("--config-dir=/a=b", "config", "list"));
        assertThat(Cli.extractConfigDir(eq)).isEqualTo("/a=b");
        assertThat(eq).containsExactly("config", "list");
    }
}
