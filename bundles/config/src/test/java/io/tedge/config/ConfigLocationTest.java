package io.tedge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConfigLocationTest {

    private static final Map<String, String> ENV = Map.of("TEDGE_CONFIG_DIR", "/from/env");

    private static Path platformDefault() {
        return ConfigLocation.isRoot() ? Path.of("/etc/tedge") : Path.of(System.getProperty("user.home"), ".tedge");
    }

    @Test
    void argumentBeatsEnvironment() {
        assertThat(ConfigLocation.resolve("/from/arg", ENV)).isEqualTo(Path.of("/from/arg"));
    }

    @Test
    void environmentBeatsDefault() {
        assertThat(ConfigLocation.resolve(null, ENV)).isEqualTo(Path.of("/from/env"));
        assertThat(ConfigLocation.resolve("", ENV)).isEqualTo(Path.of("/from/env"));
        assertThat(ConfigLocation.resolve("  ", ENV)).isEqualTo(Path.of("/from/env"));
    }

    @Test
    void defaultIsEtcTedgeForRootElseHomeDotTedge() {
        assertThat(ConfigLocation.resolve(null, Map.of())).isEqualTo(platformDefault());
        assertThat(ConfigLocation.resolve(null, Map.of("TEDGE_CONFIG_DIR", " "))).isEqualTo(platformDefault());
        assertThat(ConfigLocation.ENV).isEqualTo("TEDGE_CONFIG_DIR");
    }

    @Test
    void pathsAreMadeAbsoluteAndNormalized() {
        assertThat(ConfigLocation.resolve("/a/b/../c/./", Map.of())).isEqualTo(Path.of("/a/c"));
        assertThat(ConfigLocation.resolve("rel/dir", Map.of())).isEqualTo(Path.of("rel/dir").toAbsolutePath().normalize()).isAbsolute();
        assertThat(ConfigLocation.resolve(null, Map.of("TEDGE_CONFIG_DIR", "env/../x"))).isEqualTo(Path.of("x").toAbsolutePath());
    }
}
