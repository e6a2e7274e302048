package io.tedge.testkit;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads mosquitto 2.0's log ({@code log_type all}, {@code log_timestamp false}) into events.
 * mosquitto is single-threaded and writes each line before it acts on the network, so the order
 * of the events is the order in which it handled the packets; the formats are those of
 * mosquitto 2.0.11's source ({@code handle_connect.c}, {@code handle_publish.c},
 * {@code handle_subscribe.c}, {@code loop.c}, {@code net.c}, {@code send_publish.c}).
 */
final class MosquittoLog {

    /** A PUBLISH as a log line describes it: flags, packet id, topic and payload length. */
    record Publish(boolean dup, int qos, boolean retain, int mid, String topic, long length) {
    }

    /** What the log says, one call per event, in order, on one thread. */
    interface Events {
        /** {@code New connection from <address>:<port> on port <listener>.} */
        default void socket(int remotePort, int listenerPort) {
        }

        /** {@code New client connected from ... as <id> (p<v>, c<clean>, k<keepalive>[, u'<user>']).} */
        default void connected(int remotePort, String clientId, int protocol, boolean clean, int keepAlive, String username) {
        }

        /** The will of the client that just connected. */
        default void will(String topic, long length, int qos, boolean retain) {
        }

        /** {@code Client <id> already connected, closing old connection.} */
        default void takenOver(String clientId) {
        }

        /** {@code Received DISCONNECT from <id>}. */
        default void disconnectPacket(String clientId) {
        }

        /**
         * A connection ended: {@code graceful} for "Client X disconnected." (after DISCONNECT, or
         * closed by the broker), else why; {@code clientId} null for a client that never sent
         * CONNECT (a failed TLS handshake, for one).
         */
        default void closed(String clientId, boolean graceful, String why) {
        }

        /** {@code OpenSSL Error[n]: <text>}. */
        default void tlsError(String text) {
        }

        /** One filter of a SUBSCRIBE, with the QoS mosquitto granted (0x80: refused). */
        default void subscribed(String clientId, String filter, int granted) {
        }

        default void unsubscribed(String clientId, String filter) {
        }

        /** {@code Received PUBLISH from <id> (...)}: accepted and (QoS 0/1 now, QoS 2 at PUBREL) routed. */
        default void received(String clientId, Publish p) {
        }

        /** {@code Denied PUBLISH from <id> (...)}: the ACL refused it; not routed. */
        default void denied(String clientId, Publish p) {
        }

        /** {@code Dropped too large PUBLISH from <id> (...)}: over {@code message_size_limit}. */
        default void tooLarge(String clientId, Publish p) {
        }

        /** {@code Received PUBREL from <id> (Mid: n)}: a QoS 2 message is routed now. */
        default void pubrel(String clientId, int mid) {
        }

        /** {@code Sending PUBLISH to <id> (...)}. */
        default void sent(String clientId, Publish p) {
        }

        /** {@code Too high QoS in PUBLISH from <id>, disconnecting.} ({@code max_qos}). */
        default void qosTooHigh(String clientId) {
        }

        /** Any other line. */
        default void other(String line) {
        }
    }

    private static final String PUB = " \\(d([01]), q([0-2]), r([01]), m(\\d+), '(.*)', \\.\\.\\. \\((\\d+) bytes\\)\\)";
    private static final Pattern SOCKET = Pattern.compile("New connection from (.*):(\\d+) on port (\\d+)\\.");
    private static final Pattern CONNECTED = Pattern
            .compile("New client connected from (.*):(\\d+) as (.*) \\(p(\\d+), c([01]), k(\\d+)(?:, u'(.*)')?\\)\\.");
    private static final Pattern WILL = Pattern.compile("Will message specified \\((\\d+) bytes\\) \\(r([01]), q([0-2])\\)\\.");
    private static final Pattern TAKEOVER = Pattern.compile("Client (.*) already connected, closing old connection\\.");
    private static final Pattern DISCONNECT = Pattern.compile("Received DISCONNECT from (.*)");
    private static final Pattern GRACEFUL = Pattern.compile("Client (.*) disconnected\\.");
    private static final Pattern CLOSED = Pattern.compile("Client (.*?) (closed its connection|has exceeded timeout, disconnecting"
            + "|disconnected due to [^.]*|disconnected, not authorised|been disconnected by administrative action|disconnected: .*)\\.?");
    private static final Pattern BAD_SOCKET = Pattern.compile("(?:Bad socket read/write on client|Socket error on client) (.*?)(?:: (.*)|, disconnecting\\.)");
    private static final Pattern TLS = Pattern.compile("OpenSSL Error\\[\\d+\\]: (.*)");
    private static final Pattern SUBSCRIBE = Pattern.compile("Received SUBSCRIBE from (.*)");
    private static final Pattern UNSUBSCRIBE = Pattern.compile("Received UNSUBSCRIBE from (.*)");
    private static final Pattern FILTER = Pattern.compile("\t(.*) \\(QoS ([0-2])\\)");
    private static final Pattern SUBACK = Pattern.compile("Sending (?:UN)?SUBACK to (.*)");
    private static final Pattern RECEIVED = Pattern.compile("Received PUBLISH from (.*?)" + PUB);
    private static final Pattern DENIED = Pattern.compile("Denied PUBLISH from (.*?)" + PUB);
    private static final Pattern TOO_LARGE = Pattern.compile("Dropped too large PUBLISH from (.*?)" + PUB);
    private static final Pattern SENT = Pattern.compile("Sending PUBLISH to (.*?)" + PUB);
    private static final Pattern PUBREL = Pattern.compile("Received PUBREL from (.*) \\(Mid: (\\d+)\\)");
    private static final Pattern QOS_TOO_HIGH = Pattern.compile("Too high QoS in PUBLISH from (.*), disconnecting\\.");

    private final Events events;
    // the multi-line contexts: a will topic, the filters of a SUBSCRIBE or UNSUBSCRIBE
    private boolean willTopicNext;
    private long willLength;
    private int willQos;
    private boolean willRetain;
    private String subscriber;
    private String unsubscriber;
    private String pendingFilter;
    private int pendingQos;

    MosquittoLog(Events events) {
        this.events = events;
    }

    /** Parses one line (without its line end). */
    void line(String line) {
        if (willTopicNext) {
            willTopicNext = false;
            if (line.startsWith("\t")) {
                events.will(line.substring(1), willLength, willQos, willRetain);
                return;
            }
        }
        if (line.startsWith("\t")) {
            tabLine(line);
            return;
        }
        if (subscriber != null && pendingFilter != null) {
            String granted = subscriber + " " + pendingQos + " " + pendingFilter;
            if (line.equals(granted)) {
                events.subscribed(subscriber, pendingFilter, pendingQos);
                pendingFilter = null;
                return;
            }
        }
        if (unsubscriber != null && line.startsWith(unsubscriber + " ")) return; // "<id> <filter>" (log_type unsubscribe)
        Matcher m;
        if (line.startsWith("Sending ")) { // the most frequent lines first, without trying every pattern
            if ((m = SENT.matcher(line)).matches()) {
                events.sent(m.group(1), publish(m));
            } else {
                if (SUBACK.matcher(line).matches()) endFilters();
                events.other(line);
            }
            return;
        }
        if (line.startsWith("Received PUB") && !line.startsWith("Received PUBLISH") && !line.startsWith("Received PUBREL")) {
            events.other(line); // PUBACK, PUBREC, PUBCOMP
            return;
        }
        if ((m = RECEIVED.matcher(line)).matches()) {
            events.received(m.group(1), publish(m));
        } else if ((m = PUBREL.matcher(line)).matches()) {
            events.pubrel(m.group(1), Integer.parseInt(m.group(2)));
        } else if ((m = SOCKET.matcher(line)).matches()) {
            events.socket(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        } else if ((m = CONNECTED.matcher(line)).matches()) {
            events.connected(Integer.parseInt(m.group(2)), m.group(3), Integer.parseInt(m.group(4)), m.group(5).equals("1"),
                    Integer.parseInt(m.group(6)), m.group(7));
        } else if ((m = WILL.matcher(line)).matches()) {
            willTopicNext = true;
            willLength = Long.parseLong(m.group(1));
            willRetain = m.group(2).equals("1");
            willQos = Integer.parseInt(m.group(3));
        } else if ((m = SUBSCRIBE.matcher(line)).matches()) {
            endFilters();
            subscriber = m.group(1);
        } else if ((m = UNSUBSCRIBE.matcher(line)).matches()) {
            endFilters();
            unsubscriber = m.group(1);
        } else if ((m = TAKEOVER.matcher(line)).matches()) {
            events.takenOver(m.group(1));
        } else if ((m = DISCONNECT.matcher(line)).matches()) {
            events.disconnectPacket(m.group(1));
        } else if ((m = GRACEFUL.matcher(line)).matches()) {
            events.closed(id(m.group(1)), true, "disconnected");
        } else if ((m = CLOSED.matcher(line)).matches()) {
            events.closed(id(m.group(1)), false, m.group(2));
        } else if ((m = BAD_SOCKET.matcher(line)).matches()) {
            events.closed(id(m.group(1)), false, m.group(2) == null ? "socket error" : m.group(2));
        } else if ((m = TLS.matcher(line)).matches()) {
            events.tlsError(m.group(1));
        } else if ((m = DENIED.matcher(line)).matches()) {
            events.denied(m.group(1), publish(m));
        } else if ((m = TOO_LARGE.matcher(line)).matches()) {
            events.tooLarge(m.group(1), publish(m));
        } else if ((m = QOS_TOO_HIGH.matcher(line)).matches()) {
            events.qosTooHigh(m.group(1));
        } else {
            events.other(line);
        }
    }

    private void tabLine(String line) {
        if (subscriber != null) {
            Matcher m = FILTER.matcher(line);
            if (m.matches()) {
                if (pendingFilter != null) events.subscribed(subscriber, pendingFilter, 0x80);
                pendingFilter = m.group(1);
                pendingQos = Integer.parseInt(m.group(2));
            }
        } else if (unsubscriber != null) {
            events.unsubscribed(unsubscriber, line.substring(1));
        }
    }

    /** The end of a SUBSCRIBE's filters: one without its "granted" line was refused. */
    private void endFilters() {
        if (subscriber != null && pendingFilter != null) events.subscribed(subscriber, pendingFilter, 0x80);
        subscriber = null;
        unsubscriber = null;
        pendingFilter = null;
    }

    private static String id(String logged) {
        return logged.equals("<unknown>") ? null : logged;
    }

    private static Publish publish(Matcher m) {
        return new Publish(m.group(2).equals("1"), Integer.parseInt(m.group(3)), m.group(4).equals("1"), Integer.parseInt(m.group(5)),
                m.group(6), Long.parseLong(m.group(7)));
    }
}
