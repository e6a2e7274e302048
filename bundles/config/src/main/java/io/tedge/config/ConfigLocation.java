package io.tedge.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where tedge.toml lives: {@code --config-dir DIR}, else {@code $TEDGE_CONFIG_DIR}, else
 * {@code /etc/tedge} for root and {@code ~/.tedge} for anyone else (as thin-edge.io 0.2).
 */
public final class ConfigLocation {
    public static final String ENV = "TEDGE_CONFIG_DIR";

    private ConfigLocation() {
    }

    public static Path resolve(String cliArg, Map<String, String> env) {
        if (cliArg != null && !cliArg.isBlank()) return Path.of(cliArg).toAbsolutePath().normalize();
        String e = env.get(ENV);
        if (e != null && !e.isBlank()) return Path.of(e).toAbsolutePath().normalize();
        return isRoot() ? Path.of("/etc/tedge") : Path.of(System.getProperty("user.home"), ".tedge");
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (Exception | LinkageError e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
