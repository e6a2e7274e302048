package io.tedge.api;

import java.util.Objects;

/**
 * One forwarding rule between the local bus and a cloud, exactly like a mosquitto bridge's
 * {@code topic <pattern> <direction> <qos> <local-prefix> <remote-prefix>} line: the local topic
 * is {@code localPrefix + pattern}, the cloud topic {@code remotePrefix + pattern}; the pattern
 * may contain MQTT wildcards.
 *
 * @param pattern      topic pattern, e.g. {@code s/us/#}
 * @param direction    OUT (local to cloud), IN (cloud to local) or BOTH
 * @param qos          the QoS to forward with (the lower of this and the message's)
 * @param localPrefix  e.g. {@code c8y/}
 * @param remotePrefix e.g. {@code ""} or {@code devices/<id>/}
 */
public record BridgeRule(String pattern, Direction direction, int qos, String localPrefix, String remotePrefix) {
    /** Forwarding direction, as seen from the device. */
    public enum Direction { OUT, IN, BOTH }

    public BridgeRule {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(direction, "direction");
        if (qos < 0 || qos > 2) throw new IllegalArgumentException("QoS must be 0, 1 or 2");
        localPrefix = localPrefix == null ? "" : localPrefix;
        remotePrefix = remotePrefix == null ? "" : remotePrefix;
    }

    public static BridgeRule out(String pattern, int qos, String localPrefix, String remotePrefix) {
        return new BridgeRule(pattern, Direction.OUT, qos, localPrefix, remotePrefix);
    }

    public static BridgeRule in(String pattern, int qos, String localPrefix, String remotePrefix) {
        return new BridgeRule(pattern, Direction.IN, qos, localPrefix, remotePrefix);
    }

    /** The local topic filter of this rule. */
    public String localFilter() {
        return localPrefix + pattern;
    }

    /** The cloud topic filter of this rule. */
    public String remoteFilter() {
        return remotePrefix + pattern;
    }

    public boolean outbound() {
        return direction != Direction.IN;
    }

    public boolean inbound() {
        return direction != Direction.OUT;
    }

    /** The cloud topic for a local topic this rule matches, or null. */
    public String toRemote(String localTopic) {
        if (!outbound() || !localTopic.startsWith(localPrefix)) return null;
        String rest = localTopic.substring(localPrefix.length());
        return Topics.matches(pattern, rest) ? remotePrefix + rest : null;
    }

    /** The local topic for a cloud topic this rule matches, or null. */
    public String toLocal(String remoteTopic) {
        if (!inbound() || !remoteTopic.startsWith(remotePrefix)) return null;
        String rest = remoteTopic.substring(remotePrefix.length());
        return Topics.matches(pattern, rest) ? localPrefix + rest : null;
    }
}
