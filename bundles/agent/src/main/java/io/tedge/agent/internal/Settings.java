package io.tedge.agent.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The agent's settings, read in one place from the tedge.toml keys pushed by ConfigAdmin, with
 * their defaults.
 *
 * @param configDir     the config dir ({@code sm-plugins/}, {@code system.toml}, {@code operations/})
 * @param dataPath      {@code data.path}: the state files go to {@code <data.path>/agent/}
 * @param logsPath      {@code logs.path}: operation logs go to {@code <logs.path>/agent/}
 * @param tmpPath       {@code tmp.path}: downloads, the restart marker, plug-ins' working folder
 * @param pluginDefault {@code software.plugin.default}, or null
 * @param maxPackages   {@code software.plugin.max_packages}: lines kept of a plug-in's list
 * @param pluginTimeout {@code software.plugin.timeout}: time limit of one plug-in call
 * @param sudo          the prefix of privileged commands ({@code sudo}, or nothing)
 * @param tenantHosts   the Cumulocity hosts ({@code c8y.url}, {@code c8y.http}) a JWT may be sent to
 * @param rootCerts     {@code c8y.root.cert.path}, trusted for downloads besides the JVM's roots
 */
public record Settings(Path configDir, Path dataPath, Path logsPath, Path tmpPath, String pluginDefault, int maxPackages,
        Duration pluginTimeout, List<String> sudo, List<String> tenantHosts, Path rootCerts) {

    /** The keys this reads (besides the config dir). */
    static final List<String> KEYS = List.of("data.path", "logs.path", "tmp.path", "software.plugin.default",
            "software.plugin.max_packages", "software.plugin.timeout", "sudo.enable", "c8y.url", "c8y.http", "c8y.root.cert.path");

    /**
     * The current values of tedge.toml (read at each operation, so a change applies to the next
     * one). A key the registry does not know yet, or a bad value, takes its default (the config
     * bundle logs the bad value).
     */
    public static Settings from(io.tedge.config.TedgeConfigService config) {
        java.util.Map<String, Object> props = new java.util.HashMap<>();
        props.put("tedge.config.dir", config.configDir().toString());
        try {
            io.tedge.config.TedgeConfig cfg = config.load();
            for (String k : KEYS) {
                try {
                    cfg.get(k).ifPresent(v -> props.put(k, v));
                } catch (io.tedge.config.ConfigException e) {
                    // default below
                }
            }
        } catch (io.tedge.config.ConfigException e) {
            org.slf4j.LoggerFactory.getLogger(Settings.class).warn("tedge.toml: {} (the agent uses the defaults)", e.getMessage());
        }
        return from(props);
    }

    public static Settings from(Map<String, ?> props) {
        Path configDir = Path.of(str(props, "tedge.config.dir", System.getProperty("user.home") + "/.tedge"));
        Path data = Path.of(str(props, "data.path", configDir.resolve("data").toString()));
        Path logs = Path.of(str(props, "logs.path", configDir.resolve("logs").toString()));
        Path tmp = Path.of(str(props, "tmp.path", "/tmp"));
        String dflt = str(props, "software.plugin.default", null);
        int max = Integer.parseInt(str(props, "software.plugin.max_packages", "1000"));
        Duration timeout = Duration.ofSeconds(Long.parseLong(str(props, "software.plugin.timeout", "300")));
        boolean sudoEnabled = Boolean.parseBoolean(str(props, "sudo.enable", "true"));
        List<String> hosts = new ArrayList<>();
        for (String k : List.of("c8y.url", "c8y.http")) {
            String v = str(props, k, null);
            if (v != null && !v.isBlank()) hosts.add(host(v));
        }
        Path roots = Path.of(str(props, "c8y.root.cert.path", "/etc/ssl/certs"));
        return new Settings(configDir, data, logs, tmp, dflt == null || dflt.isBlank() ? null : dflt, max, timeout,
                sudoEnabled ? sudoPrefix() : List.of(), List.copyOf(hosts), roots);
    }

    /** {@code host} of {@code host[:port]} (an IPv6 literal in brackets keeps them). */
    static String host(String hostPort) {
        String h = hostPort.trim();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 ? h.substring(1, end).toLowerCase(java.util.Locale.ROOT) : h;
        }
        int colon = h.lastIndexOf(':');
        return (colon > 0 && h.indexOf(':') == colon ? h.substring(0, colon) : h).toLowerCase(java.util.Locale.ROOT);
    }

    private static String str(Map<String, ?> props, String key, String dflt) {
        Object v = props.get(key);
        return v == null ? dflt : v.toString();
    }

    /**
     * {@code sudo} when the agent is not root and sudo is installed; nothing otherwise (root needs
     * none, and without sudo the command is tried as the agent's user).
     */
    static List<String> sudoPrefix() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (Integer.valueOf(0).equals(uid)) return List.of();
        } catch (Exception | LinkageError e) {
            // not Linux: look for sudo anyway
        }
        String path = System.getenv("PATH");
        for (String d : (path == null ? "/usr/bin:/bin" : path).split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "sudo"))) return List.of("sudo");
        }
        return List.of();
    }

    public Path stateDir() {
        return dataPath.resolve("agent");
    }

    public Path pluginDir() {
        return configDir.resolve("sm-plugins");
    }

    public Path operationLogs() {
        return logsPath.resolve("agent");
    }

    /** The command with the sudo prefix. */
    public List<String> privileged(List<String> command) {
        if (sudo.isEmpty()) return command;
        List<String> c = new ArrayList<>(sudo);
        c.addAll(command);
        return c;
    }
}
