package io.tedge.config;

import java.nio.file.Path;

/**
 * The container's view of tedge.toml: where it is and every key the installed bundles declare.
 * Registered by the config bundle.
 */
public interface TedgeConfigService {
    /** The config dir (holds tedge.toml). */
    Path configDir();

    /** Core keys plus the keys of the bundles installed now. */
    ConfigRegistry registry();

    /** A fresh snapshot of tedge.toml. */
    default TedgeConfig load() throws ConfigException {
        return TedgeConfig.load(configDir(), registry());
    }
}
