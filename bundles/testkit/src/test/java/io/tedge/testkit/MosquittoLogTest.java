package io.tedge.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The log reader against lines Debian's mosquitto 2.0.11 wrote (log_type all, no timestamps). */
class MosquittoLogTest {
    private final List<String> events = new ArrayList<>();
    /** Records each event as its name and arguments. */
    private final MosquittoLog log = new MosquittoLog((MosquittoLog.Events) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {MosquittoLog.Events.class}, (proxy, method, args) -> {
                if (!method.getName().equals("other")) events.add(method.getName() + " " + Arrays.toString(args));
                return null;
            }));

    private List<String> read(String... lines) {
        for (String l : lines) log.line(l);
        return events;
    }

    @Test
    void connectWithWillPublishAndDisconnect() {
        assertThat(read("New connection from 127.0.0.1:54888 on port 18883.",
                "New client connected from 127.0.0.1:54888 as d:dev-1:tpl (p2, c1, k60, u'dev-1').",
                "Will message specified (8 bytes) (r0, q1).",
                "\ts/us",
                "Sending CONNACK to d:dev-1:tpl (0, 0)",
                "Received PUBLISH from d:dev-1:tpl (d0, q1, r0, m1, 's/us', ... (6 bytes))",
                "Sending PUBLISH to responder (d0, q1, r0, m1, 's/us', ... (6 bytes))",
                "Sending PUBACK to d:dev-1:tpl (m1, rc0)",
                "Received DISCONNECT from d:dev-1:tpl",
                "Client d:dev-1:tpl disconnected.")).containsExactly(
                        "socket [54888, 18883]",
                        "connected [54888, d:dev-1:tpl, 2, true, 60, dev-1]",
                        "will [s/us, 8, 1, false]",
                        "received [d:dev-1:tpl, Publish[dup=false, qos=1, retain=false, mid=1, topic=s/us, length=6]]",
                        "sent [responder, Publish[dup=false, qos=1, retain=false, mid=1, topic=s/us, length=6]]",
                        "disconnectPacket [d:dev-1:tpl]",
                        "closed [d:dev-1:tpl, true, disconnected]");
    }

    @Test
    void qos2IsRoutedAtPubrelAndAUserNameIsOptional() {
        assertThat(read("New client connected from 127.0.0.1:1 as dev-a (p2, c0, k30).",
                "No will message specified.",
                "Received PUBLISH from dev-a (d0, q2, r1, m7, '$iothub/twin/GET/?$rid=1', ... (0 bytes))",
                "Sending PUBREC to dev-a (m7, rc0)",
                "Received PUBREL from dev-a (Mid: 7)",
                "Sending PUBLISH to responder (d1, q2, r0, m2, '$iothub/twin/GET/?$rid=1', ... (0 bytes))")).containsExactly(
                        "connected [1, dev-a, 2, false, 30, null]",
                        "received [dev-a, Publish[dup=false, qos=2, retain=true, mid=7, topic=$iothub/twin/GET/?$rid=1, length=0]]",
                        "pubrel [dev-a, 7]",
                        "sent [responder, Publish[dup=true, qos=2, retain=false, mid=2, topic=$iothub/twin/GET/?$rid=1, length=0]]");
    }

    @Test
    void subscriptionsWithRetainedMessagesInBetweenAndUnsubscribe() {
        assertThat(read("Received SUBSCRIBE from dev-1",
                "\ts/ds (QoS 1)",
                "Sending PUBLISH to dev-1 (d0, q1, r1, m3, 's/ds', ... (9 bytes))",
                "dev-1 1 s/ds",
                "\ts/dat (QoS 0)",
                "dev-1 0 s/dat",
                "Sending SUBACK to dev-1",
                "Received UNSUBSCRIBE from dev-1",
                "\ts/ds",
                "dev-1 s/ds",
                "Sending UNSUBACK to dev-1")).containsExactly(
                        "sent [dev-1, Publish[dup=false, qos=1, retain=true, mid=3, topic=s/ds, length=9]]",
                        "subscribed [dev-1, s/ds, 1]",
                        "subscribed [dev-1, s/dat, 0]",
                        "unsubscribed [dev-1, s/ds]");
    }

    @Test
    void aFilterWithoutItsGrantedLineWasRefused() {
        assertThat(read("Received SUBSCRIBE from dev-1", "\ta (QoS 1)", "\tb (QoS 1)", "dev-1 1 b", "Sending SUBACK to dev-1"))
                .containsExactly("subscribed [dev-1, a, 128]", "subscribed [dev-1, b, 1]");
    }

    @Test
    void failedHandshakesTakeoversAndAbnormalCloses() {
        assertThat(read("New connection from 127.0.0.1:54904 on port 18883.",
                "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed",
                "Client <unknown> disconnected: Protocol error.",
                "Client dev-1 already connected, closing old connection.",
                "Client dev-1 closed its connection.",
                "Client dev-2 has exceeded timeout, disconnecting.",
                "Client d:dev-2:tpl disconnected due to oversize packet.",
                "Too high QoS in PUBLISH from dev-a, disconnecting.",
                "Client dev-a disconnected due to QoS too high or retain not supported.")).containsExactly(
                        "socket [54904, 18883]",
                        "tlsError [error:0A000086:SSL routines::certificate verify failed]",
                        "closed [null, false, disconnected: Protocol error.]",
                        "takenOver [dev-1]",
                        "closed [dev-1, false, closed its connection]",
                        "closed [dev-2, false, has exceeded timeout, disconnecting]",
                        "closed [d:dev-2:tpl, false, disconnected due to oversize packet]",
                        "qosTooHigh [dev-a]",
                        "closed [dev-a, false, disconnected due to QoS too high or retain not supported]");
    }

    @Test
    void deniedAndTooLargePublishes() {
        assertThat(read("Denied PUBLISH from dev-a (d0, q1, r0, m2, 'devices/dev-b/messages/events/', ... (5 bytes))",
                "Dropped too large PUBLISH from dev-a (d0, q1, r0, m3, 'devices/dev-a/messages/events/', ... (262145 bytes))"))
                .containsExactly("denied [dev-a, Publish[dup=false, qos=1, retain=false, mid=2, topic=devices/dev-b/messages/events/, length=5]]",
                        "tooLarge [dev-a, Publish[dup=false, qos=1, retain=false, mid=3, topic=devices/dev-a/messages/events/, length=262145]]");
    }

    @Test
    void topicsWithQuotesAndParenthesesAreReadWhole() {
        assertThat(read("Received PUBLISH from dev-1 (d0, q0, r0, m0, 'a/it's (odd)', ... (3 bytes))"))
                .containsExactly("received [dev-1, Publish[dup=false, qos=0, retain=false, mid=0, topic=a/it's (odd), length=3]]");
    }
}
