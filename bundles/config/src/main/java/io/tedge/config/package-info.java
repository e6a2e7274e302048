/**
 * tedge.toml: the key registry (core keys plus those that bundles declare with
 * {@link io.tedge.api.ConfigKey}), typed validation with thin-edge.io's error texts, and atomic
 * reads and writes of the file. Used by the container and by {@code bin/tedge} alike.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.tedge.config;
