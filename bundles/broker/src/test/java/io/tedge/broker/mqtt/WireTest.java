package io.tedge.broker.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.broker.journal.Journal;

/**
 * The broker at the byte level, against literal packets of the MQTT 3.1.1 specification: what
 * it accepts, and the malformed packets after which the specification says the server closes the
 * connection (section and rule numbers in the comments). After every bad client, a good one is
 * still served.
 */
class WireTest {
    @TempDir
    Path dir;
    Journal journal;
    Broker broker;
    MqttServer server;
    BlockingQueue<BusMessage> seen = new LinkedBlockingQueue<>();
    Bus.Subscription spy;

    @BeforeEach
    void start() throws IOException {
        journal = Journal.open(dir.resolve("journal"), 16 << 20, false);
        broker = new Broker(journal, dir.resolve("state"), Broker.Settings.defaults().withMaxPacketSize(65536));
        server = MqttServer.start(broker, "127.0.0.1", 0);
        spy = broker.subscribeInternal(java.util.List.of("#"), seen::add);
    }

    @AfterEach
    void stop() {
        spy.close();
        server.close();
        broker.close();
        journal.close();
    }

    private Raw connected(String id) throws IOException {
        return Raw.connected(server.port(), id);
    }

    /** The broker still serves a well-behaved client. */
    private void stillServing() throws Exception {
        try (Raw r = connected("good")) {
            r.send(Raw.publish("still/serving", "yes", 1, 1, false));
            assertThat(Raw.hex(r.read(4))).isEqualTo("40020001");
        }
        BusMessage m;
        do {
            m = seen.poll(5, TimeUnit.SECONDS);
        } while (m != null && !m.topic().equals("still/serving"));
        assertThat(m).isNotNull();
    }

    private void closedAfter(String why, byte[] bad) throws Exception {
        try (Raw r = connected("bad")) {
            r.send(bad);
            assertThat(r.closedWithin(5000)).as(why).isTrue();
        }
        stillServing();
    }

    @Test
    void theExampleConnectOfTheSpecificationIsAccepted() throws Exception {
        // 3.1: "MQTT", level 4, flags 0xC2 (user name, password, clean session), keep alive 10, id "Cid", user "u", password "p"
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.hex("10 15 00044d515454 04 c2 000a 0003436964 000175 000170"));
            assertThat(Raw.hex(r.read(4))).isEqualTo("20020000");
            r.send(Raw.hex("c000")); // PINGREQ
            assertThat(Raw.hex(r.read(2))).isEqualTo("d000"); // PINGRESP
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 16383, 16384})
    void remainingLengthsAtTheEdgesOfEachByteCountAreRead(int payload) throws Exception {
        try (Raw r = connected("edges")) {
            // topic "e" (3 bytes with its length) + packet id (2) + payload: the remaining length
            int len = 3 + 2 + payload;
            byte[] bytes = Raw.packet(0x32, Raw.str("e"), Raw.u16(5), new byte[payload]);
            int lengthBytes = len < 128 ? 1 : len < 16384 ? 2 : 3;
            assertThat(bytes.length).isEqualTo(1 + lengthBytes + len);
            r.send(bytes);
            assertThat(Raw.hex(r.read(4))).isEqualTo("40020005");
        }
        try (Raw r = connected("edges2")) {
            // the 2.2.3 table's own examples, as the length of a PINGREQ: only 0 is allowed there
            r.send(Raw.hex("c000"));
            assertThat(Raw.hex(r.read(2))).isEqualTo("d000");
        }
    }

    @Test
    void aFiveByteRemainingLengthIsMalformed() throws Exception {
        // 2.2.3: at most four bytes; ff ff ff ff 7f is not a length
        closedAfter("malformed remaining length", Raw.hex("30 ffffffff7f"));
    }

    @Test
    void aPacketAboveMaxPacketSizeIsRefusedFromItsHeader() throws Exception {
        // announces 2 097 152 bytes (80 80 80 01) and sends none: closed on the header alone
        closedAfter("over mqtt.max_packet_size", Raw.hex("30 80808001"));
        // a payload of exactly mqtt.max_packet_size (64 KiB here) is served, one byte more is not
        try (Raw r = connected("fits")) {
            r.send(Raw.packet(0x32, Raw.str("f"), Raw.u16(1), new byte[65536]));
            assertThat(Raw.hex(r.read(4))).isEqualTo("40020001");
        }
        closedAfter("a payload one byte over", Raw.packet(0x32, Raw.str("f"), Raw.u16(1), new byte[65537]));
    }

    @Test
    void aTopicThatIsNotWellFormedUtf8ClosesTheConnection() throws Exception {
        // 1.5.3: ill-formed UTF-8 (a lone continuation byte, then an encoded surrogate)
        closedAfter("lone continuation byte", Raw.hex("30 05 0002 61 80 78"));
        closedAfter("encoded surrogate U+D800", Raw.hex("30 06 0003 eda080 78"));
        // 1.5.3 [MQTT-1.5.3-2]: U+0000
        closedAfter("U+0000 in a topic", Raw.hex("30 05 0002 6100 78"));
    }

    @Test
    void wildcardsInAPublishTopicCloseTheConnection() throws Exception {
        // 3.3.2.2 [MQTT-3.3.2-2]
        closedAfter("+ in a topic name", Raw.publish("a/+/b", "x", 0, 0, false));
        closedAfter("# in a topic name", Raw.publish("a/#", "x", 1, 3, false));
        assertThat(seen).noneMatch(m -> m.topic().startsWith("a/"));
    }

    @Test
    void reservedFlagsCloseTheConnection() throws Exception {
        // 2.2.2: SUBSCRIBE must be 0x82 (here 0x80), PUBREL 0x62 (here 0x60), PINGREQ 0xc0 (here 0xc1)
        closedAfter("SUBSCRIBE with flags 0", Raw.packet(0x80, Raw.u16(1), Raw.str("a"), new byte[] {0}));
        closedAfter("PUBREL with flags 0", Raw.hex("60020001"));
        closedAfter("PINGREQ with flags 1", Raw.hex("c100"));
        // 3.3.1.2 [MQTT-3.3.1-4]: QoS 3
        closedAfter("PUBLISH with QoS 3", Raw.hex("36 06 0001 61 0001 78"));
        // 3.3.1.1 [MQTT-3.3.1-2]: DUP with QoS 0
        closedAfter("DUP with QoS 0", Raw.hex("38 04 0001 61 78"));
        // 3.8.3.1 [MQTT-3-8.3-4]: reserved bits of the requested QoS
        closedAfter("SUBSCRIBE with requested QoS 0x04", Raw.packet(0x82, Raw.u16(1), Raw.str("a"), new byte[] {4}));
        // 3.10.3 [MQTT-3.10.3-2]: UNSUBSCRIBE without a filter
        closedAfter("UNSUBSCRIBE without a filter", Raw.hex("a2020001"));
        // 2.2.1: reserved packet types 0 and 15
        closedAfter("packet type 0", Raw.hex("0000"));
        closedAfter("packet type 15", Raw.hex("f000"));
    }

    @Test
    void connectRulesAreKept() throws Exception {
        // 3.1.0 [MQTT-3.1.0-1]: the first packet must be CONNECT
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.hex("c000"));
            assertThat(r.closedWithin(5000)).isTrue();
        }
        // [MQTT-3.1.0-2]: a second CONNECT is a protocol violation
        try (Raw r = connected("twice")) {
            r.send(Raw.connect("twice", true));
            assertThat(r.closedWithin(5000)).isTrue();
        }
        // [MQTT-3.1.2-3]: the reserved flag of CONNECT
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.packet(0x10, Raw.str("MQTT"), new byte[] {4, 3, 0, 60}, Raw.str("x")));
            assertThat(r.closedWithin(5000)).isTrue();
        }
        // [MQTT-3.1.2-22]: a password without a user name
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.packet(0x10, Raw.str("MQTT"), new byte[] {4, 0x42, 0, 60}, Raw.str("x"), Raw.str("pw")));
            assertThat(r.closedWithin(5000)).isTrue();
        }
        stillServing();
    }

    @Test
    void aClientIdOver256BytesGetsIdentifierRejected() throws Exception {
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.connect("x".repeat(257), true));
            assertThat(Raw.hex(r.read(4))).isEqualTo("20020002");
            assertThat(r.closedWithin(5000)).isTrue();
        }
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.connect("y".repeat(256), true));
            assertThat(Raw.hex(r.read(4))).isEqualTo("20020000");
        }
    }

    @Test
    void anAcknowledgementIsNeverSentBeforeTheJournalHasTheMessage() throws Exception {
        // issue 8, item 3: PUBLISH q1 + SUBSCRIBE + PUBLISH q1 in one TCP write. Each answer comes
        // in order, and when the client reads a PUBACK the journal already holds that message.
        for (int round = 0; round < 200; round++) {
            try (Raw r = connected("batch")) {
                byte[] batch = Raw.concat(
                        Raw.hex("32 0a 0003 612f62 0001 6f6e65"),         // PUBLISH QoS 1 "a/b" id 1 "one"
                        Raw.hex("82 08 0002 0003 782f23 01"),             // SUBSCRIBE id 2 "x/#" QoS 1
                        Raw.hex("32 0a 0003 612f62 0003 74776f"));        // PUBLISH QoS 1 "a/b" id 3 "two"
                long before = journal.end();
                r.send(batch);
                assertThat(Raw.hex(r.read(4))).isEqualTo("40020001");
                long afterFirst = journal.end();
                assertThat(afterFirst).as("the journal was written before the first PUBACK").isGreaterThan(before);
                assertThat(Raw.hex(r.read(5))).isEqualTo("9003000201"); // SUBACK id 2, QoS 1
                assertThat(Raw.hex(r.read(4))).isEqualTo("40020003");
                long bytesPerRecord = 8 + 3 + 3 + 3;
                assertThat(journal.end() - before).as("both records were durable before the second PUBACK").isGreaterThanOrEqualTo(2 * bytesPerRecord);
            }
        }
    }

    @Test
    void aPublishWithAPayloadOfManyBytesArrivesInOnePiece() throws Exception {
        BlockingQueue<BusMessage> got = new LinkedBlockingQueue<>();
        try (Bus.Subscription s = broker.subscribeInternal(java.util.List.of("big"), got::add); Raw r = connected("big")) {
            byte[] payload = "0123456789".repeat(400).getBytes(StandardCharsets.UTF_8);
            byte[] p = Raw.packet(0x32, Raw.str("big"), Raw.u16(9), payload);
            // dribbled byte by byte: the broker assembles the packet
            for (byte b : p) {
                r.out.write(b);
                r.out.flush();
            }
            assertThat(Raw.hex(r.read(4))).isEqualTo("40020009");
            assertThat(got.poll(5, TimeUnit.SECONDS).payload()).isEqualTo(payload);
        }
    }
}
