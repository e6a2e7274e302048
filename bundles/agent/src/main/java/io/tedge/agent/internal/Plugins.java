package io.tedge.agent.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.tedge.agent.BoundedProcess;
import io.tedge.agent.OperationLog;

/**
 * The software management plug-ins of {@code <config dir>/sm-plugins/} (thin-edge.io's plug-in
 * API): each executable file is a plug-in for the software type of its name, registered when
 * {@code <plugin> list} exits with 0. Calls are {@code [sudo] <plugin> <command> [NAME]
 * [--module-version V] [--file PATH]}, in {@code tmp.path}, bounded by
 * {@code software.plugin.timeout} (SIGTERM, then SIGKILL 10 s later) and 4 MiB of captured output.
 */
public final class Plugins {
    /** Plug-ins considered; more files in the folder are ignored. */
    public static final int MAX_PLUGINS = 100;
    static final int MAX_OUTPUT = 4 << 20;

    /** One plug-in, with the output of its last {@code list}. */
    public record Plugin(String type, Path path) {
    }

    /** A name and an optional version of an installed module. */
    public record Module(String name, String version) {
    }

    private final Settings settings;
    private final OperationLog log;
    private final Map<String, Plugin> plugins = new LinkedHashMap<>();

    public Plugins(Settings settings, OperationLog log) {
        this.settings = settings;
        this.log = log;
    }

    /** Discovers the plug-ins (sorted by type). */
    public Map<String, Plugin> load() throws InterruptedException {
        plugins.clear();
        Path dir = settings.pluginDir();
        if (!Files.isDirectory(dir)) return plugins;
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (files.size() < MAX_PLUGINS && Files.isRegularFile(p) && Files.isExecutable(p)) files.add(p);
            }
        } catch (IOException e) {
            log.line("cannot read " + dir + ": " + e.getMessage());
            return plugins;
        }
        files.sort(null);
        for (Path p : files) {
            Plugin plugin = new Plugin(p.getFileName().toString(), p);
            try {
                if (call(plugin, "list", List.of(), null).success()) plugins.put(plugin.type(), plugin);
            } catch (IOException e) {
                log.line("plug-in " + p + " cannot run: " + e.getMessage());
            }
        }
        return plugins;
    }

    public Map<String, Plugin> loaded() {
        return plugins;
    }

    /**
     * The plug-in of a type; {@code default} (or an empty type) is {@code software.plugin.default}, or
     * the only plug-in when there is just one.
     *
     * @throws IOException with the text the cloud shows when there is none
     */
    public Plugin resolve(String type) throws IOException {
        if (type == null || type.isEmpty() || type.equals("default")) {
            if (settings.pluginDefault() != null) {
                Plugin p = plugins.get(settings.pluginDefault());
                if (p == null) throw new IOException("The default plugin " + settings.pluginDefault() + " (software.plugin.default) is not installed in " + settings.pluginDir());
                return p;
            }
            if (plugins.size() == 1) return plugins.values().iterator().next();
            throw new IOException("Default plugin is not configured: set software.plugin.default to one of " + plugins.keySet());
        }
        Plugin p = plugins.get(type);
        if (p == null) throw new IOException("Unknown software type: " + type + " (no plug-in " + settings.pluginDir().resolve(type) + ")");
        return p;
    }

    /** Runs a plug-in command, logged. */
    public BoundedProcess.Result call(Plugin p, String cmd, List<String> args, byte[] stdin)
            throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add(p.path().toString());
        argv.add(cmd);
        argv.addAll(args);
        argv = settings.privileged(argv);
        Files.createDirectories(settings.tmpPath());
        BoundedProcess.Result r = BoundedProcess.run(BoundedProcess.Spec.of(argv, settings.pluginTimeout())
                .withCwd(settings.tmpPath()).withStdin(stdin).withLimits(MAX_OUTPUT, 64 << 10));
        log.command(argv, r);
        return r;
    }

    /** The failure text of a call: its stderr, or what happened when there is none. */
    public String reason(Plugin p, String cmd, BoundedProcess.Result r) {
        if (r.timedOut()) {
            return "The plug-in " + p.type() + " " + cmd + " did not finish within " + settings.pluginTimeout().toSeconds()
                    + " s (software.plugin.timeout) and was stopped";
        }
        String err = r.stderrText().strip();
        return err.isEmpty() ? "The plug-in " + p.type() + " " + cmd + " failed with exit status " + r.exitCode() : err;
    }

    /** {@code list} of a plug-in: TSV {@code name[\tversion]} lines, at most {@code max_packages}. */
    public List<Module> list(Plugin p) throws IOException, InterruptedException {
        BoundedProcess.Result r = call(p, "list", List.of(), null);
        if (!r.success()) throw new IOException(reason(p, "list", r));
        return parseList(r.stdoutText(), settings.maxPackages());
    }

    static List<Module> parseList(String tsv, int max) {
        List<Module> out = new ArrayList<>();
        for (String line : tsv.split("\n")) {
            if (out.size() >= max) break;
            line = line.strip();
            if (line.isEmpty()) continue;
            int tab = line.indexOf('\t');
            String name = tab < 0 ? line : line.substring(0, tab).strip();
            String version = tab < 0 ? null : line.substring(tab + 1).strip();
            if (name.isEmpty()) continue;
            out.add(new Module(name, version == null || version.isEmpty() ? null : version));
        }
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
