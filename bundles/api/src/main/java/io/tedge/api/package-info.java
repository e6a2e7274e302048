/**
 * The tedge plug-in API, version 1.2: what a connector or mapper bundle imports, and nothing
 * else of the agent.
 *
 * <ul>
 * <li>{@link io.tedge.api.Bus}: the local message bus, with {@link io.tedge.api.DurableConsumer
 * durable consumers} reading the journal of QoS 1/2 messages from their own cursor.</li>
 * <li>{@link io.tedge.api.CloudConnector}: a cloud's link ({@link io.tedge.api.CloudLink},
 * {@link io.tedge.api.BridgeRule}) and connection check ({@link io.tedge.api.ConnectionCheck}),
 * read from its configuration ({@link io.tedge.api.ConnectorConfig}).</li>
 * <li>{@link io.tedge.api.Mapper}: a translator fed from the journal, usually active only while
 * its cloud is connected ({@link io.tedge.api.CloudConnected}).</li>
 * <li>{@link io.tedge.api.ConfigKey}: the tedge.toml keys a bundle contributes.</li>
 * </ul>
 *
 * Versions: 1.0 the bus and the connector and mapper whiteboards; 1.1 {@code ConnectorConfig}
 * (static helpers); 1.2 the {@code CloudLink} builder, {@code ConnectorConfig} for one cloud,
 * {@code ConnectionCheck}, {@code BridgeRule.both}, {@code Bus.backlog}. Every 1.x is binary
 * compatible with the earlier ones: a bundle built against 1.1 runs on an agent with 1.2.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.tedge.api;
