package io.tedge.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

import io.tedge.config.ConfigException;
import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;

/**
 * What a command runs with: its output streams, the environment, the config dir and how to get
 * the full key registry (costly on the command line: it reads the jars' manifests, so only when
 * a key is not a core key or the whole list is wanted).
 */
public final class CommandContext {
    /** Reads a password without echo; null when there is no terminal. */
    public interface PasswordReader {
        char[] read(String prompt);
    }

    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    final Path configDir;
    final Supplier<ConfigRegistry> fullRegistry;
    final PasswordReader passwords;
    final boolean inContainer;

    public CommandContext(PrintStream out, PrintStream err, Map<String, String> env, Path configDir,
                          Supplier<ConfigRegistry> fullRegistry, PasswordReader passwords, boolean inContainer) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.configDir = configDir;
        this.fullRegistry = fullRegistry;
        this.passwords = passwords;
        this.inContainer = inContainer;
    }

    /** The registry that knows this key: the core one when it is a core key (fast path). */
    ConfigRegistry registryFor(String key) {
        ConfigRegistry core = ConfigRegistry.core();
        return core.find(key) != null ? core : fullRegistry.get();
    }

    TedgeConfig config() throws ConfigException {
        return TedgeConfig.load(configDir, fullRegistry.get());
    }

    /** tedge.toml with the core keys only: enough for every command but `config`. */
    TedgeConfig coreConfig() throws ConfigException {
        return TedgeConfig.load(configDir, ConfigRegistry.core());
    }
}
