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
    public enum Direction {
        /** From the local bus to the cloud. */
        OUT,
        /** From the cloud to the local bus. */
        IN,
        /** Both ways. */
        BOTH
    }

    /**
     * Checks the values; null prefixes become empty.
     *
     * @param pattern      topic pattern
     * @param direction    forwarding direction
     * @param qos          QoS to forward with, at most
     * @param localPrefix  prefix of the local topics, or null
     * @param remotePrefix prefix of the cloud topics, or null
     * @throws IllegalArgumentException when the QoS is not 0, 1 or 2
     */
    public BridgeRule {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(direction, "direction");
        if (qos < 0 || qos > 2) throw new IllegalArgumentException("QoS must be 0, 1 or 2");
        localPrefix = localPrefix == null ? "" : localPrefix;
        remotePrefix = remotePrefix == null ? "" : remotePrefix;
    }

    /**
     * A rule from the local bus to the cloud.
     *
     * @param pattern      topic pattern, wildcards allowed
     * @param qos          QoS to forward with, at most
     * @param localPrefix  prefix of the local topics
     * @param remotePrefix prefix of the cloud topics
     * @return the rule
     */
    public static BridgeRule out(String pattern, int qos, String localPrefix, String remotePrefix) {
        return new BridgeRule(pattern, Direction.OUT, qos, localPrefix, remotePrefix);
    }

    /**
     * A rule from the cloud to the local bus.
     *
     * @param pattern      topic pattern, wildcards allowed
     * @param qos          QoS to forward with, at most
     * @param localPrefix  prefix of the local topics
     * @param remotePrefix prefix of the cloud topics
     * @return the rule
     */
    public static BridgeRule in(String pattern, int qos, String localPrefix, String remotePrefix) {
        return new BridgeRule(pattern, Direction.IN, qos, localPrefix, remotePrefix);
    }

    /**
     * A rule both ways.
     *
     * @param pattern      topic pattern, wildcards allowed
     * @param qos          QoS to forward with, at most
     * @param localPrefix  prefix of the local topics
     * @param remotePrefix prefix of the cloud topics
     * @return the rule
     * @since 1.2
     */
    public static BridgeRule both(String pattern, int qos, String localPrefix, String remotePrefix) {
        return new BridgeRule(pattern, Direction.BOTH, qos, localPrefix, remotePrefix);
    }

    /**
     * The local topic filter of this rule.
     *
     * @return local prefix + pattern
     */
    public String localFilter() {
        return localPrefix + pattern;
    }

    /**
     * The cloud topic filter of this rule.
     *
     * @return remote prefix + pattern
     */
    public String remoteFilter() {
        return remotePrefix + pattern;
    }

    /**
     * Whether it forwards to the cloud.
     *
     * @return true for OUT and BOTH
     */
    public boolean outbound() {
        return direction != Direction.IN;
    }

    /**
     * Whether it forwards from the cloud.
     *
     * @return true for IN and BOTH
     */
    public boolean inbound() {
        return direction != Direction.OUT;
    }

    /**
     * The cloud topic for a local topic.
     *
     * @param localTopic a local topic name
     * @return the cloud topic, or null when the rule does not forward it
     */
    public String toRemote(String localTopic) {
        if (!outbound() || !localTopic.startsWith(localPrefix)) return null;
        String rest = localTopic.substring(localPrefix.length());
        return Topics.matches(pattern, rest) ? remotePrefix + rest : null;
    }

    /**
     * The local topic for a cloud topic.
     *
     * @param remoteTopic a cloud topic name
     * @return the local topic, or null when the rule does not forward it
     */
    public String toLocal(String remoteTopic) {
        if (!inbound() || !remoteTopic.startsWith(remotePrefix)) return null;
        String rest = remoteTopic.substring(remotePrefix.length());
        return Topics.matches(pattern, rest) ? localPrefix + rest : null;
    }
}
