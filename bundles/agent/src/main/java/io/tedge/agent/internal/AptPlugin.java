package io.tedge.agent.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import io.tedge.agent.FileOps;

/**
 * The {@code apt} plug-in shipped with the agent (a POSIX sh script with thin-edge.io's
 * tedge-apt-plugin commands, in the bundle as {@code sm-plugins/apt}). When the agent finds no
 * {@code <config dir>/sm-plugins/} folder it creates it, with the apt plug-in in it when
 * {@code apt-get} and {@code dpkg-query} are installed. An existing folder is never touched, so a
 * user who removed the plug-in keeps it removed.
 */
public final class AptPlugin {
    private AptPlugin() {
    }

    public static boolean installIfNew(Path pluginDir) throws IOException {
        if (Files.exists(pluginDir)) return false;
        Files.createDirectories(pluginDir);
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get")) || !Files.isExecutable(Path.of("/usr/bin/dpkg-query"))) return false;
        install(pluginDir.resolve("apt"));
        return true;
    }

    /** Writes the script, mode 0755. */
    public static void install(Path target) throws IOException {
        try (InputStream in = AptPlugin.class.getResourceAsStream("/sm-plugins/apt")) {
            if (in == null) throw new IOException("the apt plug-in is missing from the agent bundle");
            FileOps.replace(target, in, 1 << 20, null, null, 0755);
        }
    }
}
