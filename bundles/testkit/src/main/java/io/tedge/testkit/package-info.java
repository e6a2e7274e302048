/**
 * Test fixtures shared by the modules' tests: a throw-away PKI ({@link io.tedge.testkit.TestPki}),
 * a live, mutable trust set ({@link io.tedge.testkit.LiveTrust}), an HTTPS stand-in for the
 * Cumulocity REST calls ({@link io.tedge.testkit.C8yHttpStandIn}) and TLS MQTT stand-ins for
 * Cumulocity's core MQTT endpoint ({@link io.tedge.testkit.C8yMqttStandIn}) and Azure IoT Hub
 * ({@link io.tedge.testkit.AzMqttStandIn}), built on the project's own MQTT server. Test scope
 * only; never shipped.
 */
package io.tedge.testkit;
