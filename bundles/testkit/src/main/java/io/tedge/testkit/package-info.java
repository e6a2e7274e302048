/**
 * Test fixtures shared by the modules' tests: a throw-away PKI ({@link io.tedge.testkit.TestPki}),
 * a live, mutable trust set ({@link io.tedge.testkit.LiveTrust}), an HTTPS stand-in for the
 * Cumulocity REST calls ({@link io.tedge.testkit.C8yHttpStandIn}), TLS MQTT stand-ins for
 * Cumulocity's core MQTT endpoint ({@link io.tedge.testkit.C8yMqttStandIn}) and Azure IoT Hub
 * ({@link io.tedge.testkit.AzMqttStandIn}), built on Debian's mosquitto
 * ({@link io.tedge.testkit.Mosquitto}) and a Paho responder, never on the project's own MQTT code
 * ({@link io.tedge.testkit.CloudMqttStandIn}), JSON for tests ({@link io.tedge.testkit.Json}) and
 * a bus for connector unit tests ({@link io.tedge.testkit.FakeBus}). Test scope only; never
 * shipped. docs/standins.md says what the stand-ins enforce and what they cannot.
 */
package io.tedge.testkit;
