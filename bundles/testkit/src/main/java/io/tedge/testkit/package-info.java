/**
 * Test fixtures shared by the modules' tests: a throw-away PKI ({@link io.tedge.testkit.TestPki}),
 * a live, mutable trust set ({@link io.tedge.testkit.LiveTrust}), an HTTPS stand-in for the
 * Cumulocity REST calls ({@link io.tedge.testkit.C8yHttpStandIn}), TLS MQTT stand-ins for
 * Cumulocity's core MQTT endpoint ({@link io.tedge.testkit.C8yMqttStandIn}), Azure IoT Hub
 * ({@link io.tedge.testkit.AzMqttStandIn}), AWS IoT Core ({@link io.tedge.testkit.AwsMqttStandIn})
 * and any certificate-authenticated pub/sub cloud ({@link io.tedge.testkit.GenericMqttStandIn}),
 * built on Debian's mosquitto ({@link io.tedge.testkit.Mosquitto}) and a Paho responder, never on
 * the project's own MQTT code ({@link io.tedge.testkit.CloudMqttStandIn}, which a vendor extends
 * for a cloud of its own), JSON for tests ({@link io.tedge.testkit.Json}), a bus for connector unit
 * tests ({@link io.tedge.testkit.FakeBus}) and a connector's link run against a stand-in
 * ({@link io.tedge.testkit.TestBridge}). Test scope only; never shipped. docs/standins.md says
 * what the stand-ins enforce and what they cannot; docs/plugins.md §6 how a vendor's tests use them.
 */
package io.tedge.testkit;
