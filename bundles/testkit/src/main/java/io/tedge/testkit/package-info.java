/**
 * Test fixtures shared by the modules' tests: a throw-away PKI ({@link io.tedge.testkit.TestPki}),
 * a live, mutable trust set ({@link io.tedge.testkit.LiveTrust}) and an HTTPS stand-in for the
 * Cumulocity REST calls ({@link io.tedge.testkit.C8yHttpStandIn}). Test scope only; never shipped.
 */
package io.tedge.testkit;
