/**
 * The device certificate, as thin-edge.io's {@code tedge cert} commands know it: create a
 * self-signed certificate and key, show it, remove it, upload it to Cumulocity, make a
 * certificate signing request; and the TLS contexts that the cloud connectors open their
 * mutual-TLS connections with. Plain classes, usable from {@code bin/tedge} on a plain class path
 * and inside the OSGi container alike; no Bouncy Castle type appears in this package.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.tedge.certs;
