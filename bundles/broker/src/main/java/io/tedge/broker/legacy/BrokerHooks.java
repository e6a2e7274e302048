package io.tedge.broker.legacy;

import java.security.cert.Certificate;

/**
 * Extension points of the broker, for the cloud stand-ins in tests (authentication by client
 * certificate, reacting to publishes). The agent's broker uses the defaults: everyone may
 * connect, publish and subscribe.
 */
public interface BrokerHooks {

    /** Who is connecting or connected. */
    record Client(String clientId, String username, Certificate[] peerCertificates, String remoteAddress) {
    }

    /** CONNACK return code for this CONNECT: 0 accepts, 1-5 refuse. */
    default int authenticate(Packet.Connect connect, Client client) {
        return 0;
    }

    /** The client is connected (after CONNACK 0). */
    default void connected(Client client) {
    }

    /** The client is gone; {@code clean} is false when it did not send DISCONNECT. */
    default void disconnected(Client client, boolean clean) {
    }

    /**
     * An inbound PUBLISH, before it is routed. Return false to acknowledge it but drop it (as a
     * broker does for an ACL denial). Throw to close the connection without acknowledging.
     */
    default boolean publish(Client client, Packet.Publish publish) throws Exception {
        return true;
    }

    /** Granted QoS for a subscription, or 0x80 to refuse it. */
    default int subscribe(Client client, String filter, int requestedQos) {
        return requestedQos;
    }
}
