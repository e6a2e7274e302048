package io.tedge.broker.legacy;

import java.util.List;

/** MQTT 3.1/3.1.1 control packets. */
public sealed interface Packet {
    int CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7, SUBSCRIBE = 8,
            SUBACK = 9, UNSUBSCRIBE = 10, UNSUBACK = 11, PINGREQ = 12, PINGRESP = 13, DISCONNECT = 14;

    record Connect(String protocolName, int level, boolean cleanSession, int keepAlive, String clientId,
                   String willTopic, byte[] willMessage, int willQos, boolean willRetain,
                   String username, byte[] password) implements Packet {
    }

    record ConnAck(boolean sessionPresent, int returnCode) implements Packet {
    }

    record Publish(String topic, byte[] payload, int qos, boolean retain, boolean dup, int packetId) implements Packet {
    }

    /** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a type and a packet id. */
    record Ack(int type, int packetId) implements Packet {
    }

    record Subscribe(int packetId, List<String> filters, List<Integer> qos) implements Packet {
    }

    record SubAck(int packetId, List<Integer> codes) implements Packet {
    }

    record Unsubscribe(int packetId, List<String> filters) implements Packet {
    }

    /** PINGREQ, PINGRESP, DISCONNECT. */
    record Simple(int type) implements Packet {
    }
}
