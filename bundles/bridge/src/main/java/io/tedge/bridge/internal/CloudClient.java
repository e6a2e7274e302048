package io.tedge.bridge.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small MQTT 3.1.1 client for the cloud links: one TLS socket, a reader thread, and writes that
 * the caller batches ({@link #publish} without flushing, then one {@link #flush}), so a burst of
 * messages costs a few TLS records instead of one per message. Acknowledgements and messages from
 * the cloud go to a {@link Listener}.
 */
final class CloudClient {
    /** Callbacks, on the reader thread. */
    interface Listener {
        /** The cloud acknowledged an outbound message (PUBACK, or PUBCOMP for QoS 2). */
        void acknowledged(int packetId);

        /** A message from the cloud; the client acknowledges it when this returns. */
        void received(String topic, byte[] payload, int qos) throws Exception;

        /** The connection ended (null cause: closed by us). */
        void lost(Throwable cause);
    }

    /** A refused CONNECT. */
    static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;
        final int code;

        RefusedException(int code) {
            super(describe(code));
            this.code = code;
        }

        static String describe(int code) {
            return switch (code) {
                case 1 -> "the cloud refused the connection: unacceptable protocol version (CONNACK 1)";
                case 2 -> "the cloud refused the client id (CONNACK 2)";
                case 3 -> "the cloud service is unavailable (CONNACK 3)";
                case 4 -> "the cloud refused the user name (CONNACK 4)";
                case 5 -> "the cloud refused the connection: not authorized (CONNACK 5; is the device certificate trusted by the cloud?)";
                default -> "the cloud refused the connection (CONNACK " + code + ")";
            };
        }
    }

    private static final int CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7, SUBSCRIBE = 8,
            SUBACK = 9, PINGREQ = 12, PINGRESP = 13, DISCONNECT = 14;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Listener listener;
    private final int keepAlive;
    private volatile boolean closed;
    private volatile long lastWrite = System.nanoTime();
    /** Scratch for a PUBLISH's fixed header (under this client's monitor), and the last topic encoded. */
    private final byte[] header = new byte[8];
    private String lastTopic;
    private byte[] lastTopicBytes;
    private volatile CountDownLatch suback;
    private volatile List<Integer> subackCodes;
    private Thread reader;
    private Thread pinger;

    private CloudClient(Socket socket, Listener listener, int keepAlive) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.listener = listener;
        this.keepAlive = keepAlive;
    }

    /** Opens the TLS connection, sends CONNECT (clean session) and waits for CONNACK 0. */
    static CloudClient connect(SSLSocketFactory tls, String host, int port, String clientId, String username, int keepAlive,
                               int timeoutMs, Listener listener) throws IOException {
        Socket plain = new Socket();
        SSLSocket s;
        try {
            plain.connect(new InetSocketAddress(host, port), timeoutMs);
            plain.setTcpNoDelay(true);
        } catch (IOException e) {
            plain.close();
            throw e;
        }
        try {
            s = (SSLSocket) tls.createSocket(plain, host, port, true);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the server's certificate must be for this host
            s.setSSLParameters(p);
            s.setSoTimeout(timeoutMs);
            s.startHandshake();
        } catch (IOException e) {
            plain.close();
            throw closedInTls(e, "during");
        }
        CloudClient c = new CloudClient(s, listener, keepAlive);
        try {
            c.handshake(clientId, username, keepAlive);
            s.setSoTimeout(keepAlive > 0 ? keepAlive * 1500 : 0);
        } catch (IOException e) {
            IOException why = e instanceof javax.net.ssl.SSLException || e instanceof RefusedException ? e : tlsAlert(s, e);
            s.close();
            throw closedInTls(why, "right after"); // the alert if it could be read, else still a TLS failure
        }
        c.startThreads();
        return c;
    }

    /**
     * With TLS 1.3 the server judges the client certificate after the client's handshake is done:
     * a refused certificate then shows as a broken pipe or an end of stream at CONNECT. The
     * server's alert is still in the socket: read it, so the reason is the TLS one.
     */
    private static IOException tlsAlert(SSLSocket s, IOException e) {
        try {
            s.setSoTimeout(2000);
            s.getInputStream().read();
        } catch (javax.net.ssl.SSLException alert) {
            alert.addSuppressed(e);
            return alert;
        } catch (IOException | RuntimeException other) {
            // no alert: the original error stands
        }
        return e;
    }

    /**
     * A broken pipe, a reset or an end of stream in or just after the TLS handshake (when no
     * alert could be read) is still the server refusing the connection in TLS: the handshake
     * itself can fail so too, when the server closes while the client sends its certificate.
     */
    private static IOException closedInTls(IOException e, String when) {
        if (!(e instanceof java.net.SocketException || e instanceof java.io.EOFException)) return e;
        return new javax.net.ssl.SSLException("the cloud closed the connection " + when + " the TLS handshake ("
                + (e.getMessage() == null ? e.toString() : e.getMessage()) + ")", e);
    }

    private void handshake(String clientId, String username, int ka) throws IOException {
        Body b = new Body();
        b.str("MQTT");
        b.u8(4);
        b.u8(2 | (username != null ? 128 : 0));
        b.u16(ka);
        b.str(clientId);
        if (username != null) b.str(username);
        synchronized (this) {
            packet(CONNECT << 4, b);
            out.flush();
        }
        int type = in.read();
        if (type < 0) throw new EOFException("the cloud closed the connection before CONNACK");
        int len = length();
        byte[] body = in.readNBytes(len);
        if (type >> 4 != CONNACK || body.length < 2) throw new IOException("expected CONNACK, got packet type " + (type >> 4));
        if (body[1] != 0) throw new RefusedException(body[1] & 0xff);
    }

    private void startThreads() {
        reader = new Thread(this::readLoop, "tedge-cloud-in");
        reader.setDaemon(true);
        reader.start();
        if (keepAlive > 0) {
            pinger = new Thread(this::pingLoop, "tedge-cloud-ping");
            pinger.setDaemon(true);
            pinger.start();
        }
    }

    /** Subscribes and waits for the SUBACK; returns the granted codes. */
    List<Integer> subscribe(List<String> filters, List<Integer> qos, int timeoutMs) throws IOException, InterruptedException {
        Body b = new Body();
        b.u16(1);
        for (int i = 0; i < filters.size(); i++) {
            b.str(filters.get(i));
            b.u8(qos.get(i));
        }
        CountDownLatch l = new CountDownLatch(1);
        suback = l;
        synchronized (this) {
            packet(SUBSCRIBE << 4 | 2, b);
            out.flush();
        }
        if (!l.await(timeoutMs, TimeUnit.MILLISECONDS)) throw new SocketTimeoutException("no SUBACK from the cloud");
        return subackCodes;
    }

    /** Writes a PUBLISH into the buffer (not flushed). packetId is ignored for QoS 0. */
    synchronized void publish(String topic, byte[] payload, int qos, boolean retain, int packetId) throws IOException {
        byte[] t;
        if (topic == lastTopic) { // a burst on one topic: encoded once
            t = lastTopicBytes;
        } else {
            t = topic.getBytes(StandardCharsets.UTF_8);
            lastTopic = topic;
            lastTopicBytes = t;
        }
        int len = 2 + t.length + (qos > 0 ? 2 : 0) + payload.length;
        byte[] h = header;
        int k = 0;
        h[k++] = (byte) (PUBLISH << 4 | qos << 1 | (retain ? 1 : 0));
        int rest = len;
        do {
            int d = rest % 128;
            rest /= 128;
            h[k++] = (byte) (rest > 0 ? d | 128 : d);
        } while (rest > 0);
        h[k++] = (byte) (t.length >> 8);
        h[k++] = (byte) t.length;
        out.write(h, 0, k);
        out.write(t);
        if (qos > 0) {
            h[0] = (byte) (packetId >> 8);
            h[1] = (byte) packetId;
            out.write(h, 0, 2);
        }
        out.write(payload);
    }

    /** Sends what is buffered. */
    synchronized void flush() throws IOException {
        out.flush();
        lastWrite = System.nanoTime();
    }

    private synchronized void ack(int type, int id) throws IOException {
        out.write(type << 4 | (type == PUBREL ? 2 : 0));
        out.write(2);
        out.write(id >> 8);
        out.write(id);
        out.flush();
        lastWrite = System.nanoTime();
    }

    private void packet(int header, Body b) throws IOException {
        out.write(header);
        writeLength(b.size());
        b.writeTo(out);
    }

    private void writeLength(int len) throws IOException {
        do {
            int d = len % 128;
            len /= 128;
            if (len > 0) d |= 128;
            out.write(d);
        } while (len > 0);
    }

    private int length() throws IOException {
        int len = 0;
        int mult = 1;
        for (int i = 0; i < 4; i++) {
            int b = in.read();
            if (b < 0) throw new EOFException("connection closed");
            len += (b & 127) * mult;
            if ((b & 128) == 0) return len;
            mult *= 128;
        }
        throw new IOException("malformed packet length from the cloud");
    }

    private void readLoop() {
        Throwable cause = null;
        try {
            while (!closed) {
                int h = in.read();
                if (h < 0) throw new EOFException("the cloud closed the connection");
                int len = length();
                byte[] b = in.readNBytes(len);
                if (b.length < len) throw new EOFException("the cloud closed the connection");
                int type = h >> 4;
                switch (type) {
                    case PUBACK, PUBCOMP -> listener.acknowledged(id(b));
                    case PUBREC -> ack(PUBREL, id(b));
                    case PUBREL -> ack(PUBCOMP, id(b));
                    case SUBACK -> {
                        List<Integer> codes = new java.util.ArrayList<>();
                        for (int i = 2; i < b.length; i++) codes.add(b[i] & 0xff);
                        subackCodes = codes;
                        CountDownLatch l = suback;
                        if (l != null) l.countDown();
                    }
                    case PINGRESP -> {
                    }
                    case PUBLISH -> {
                        int qos = (h >> 1) & 3;
                        int tl = (b[0] & 0xff) << 8 | (b[1] & 0xff);
                        String topic = new String(b, 2, tl, StandardCharsets.UTF_8);
                        int p = 2 + tl;
                        int id = 0;
                        if (qos > 0) {
                            id = (b[p] & 0xff) << 8 | (b[p + 1] & 0xff);
                            p += 2;
                        }
                        byte[] payload = java.util.Arrays.copyOfRange(b, p, b.length);
                        listener.received(topic, payload, qos);
                        if (qos == 1) ack(PUBACK, id);
                        else if (qos == 2) ack(PUBREC, id);
                    }
                    default -> throw new IOException("unexpected packet type " + type + " from the cloud");
                }
            }
        } catch (SocketTimeoutException e) {
            cause = new IOException("no traffic from the cloud within 1.5 x the keep alive: connection dead");
        } catch (Throwable e) {
            cause = e;
        }
        boolean byUs = closed;
        close(false);
        listener.lost(byUs ? null : cause);
    }

    private static int id(byte[] b) {
        return (b[0] & 0xff) << 8 | (b[1] & 0xff);
    }

    private void pingLoop() {
        long interval = TimeUnit.SECONDS.toNanos(keepAlive) / 2;
        while (!closed) {
            try {
                Thread.sleep(Math.max(100, TimeUnit.NANOSECONDS.toMillis(interval) / 2));
                if (System.nanoTime() - lastWrite >= interval) {
                    synchronized (this) {
                        out.write(PINGREQ << 4);
                        out.write(0);
                        out.flush();
                    }
                    lastWrite = System.nanoTime();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                close(false);
                return;
            }
        }
    }

    boolean isOpen() {
        return !closed;
    }

    /** Closes the connection (with DISCONNECT when {@code graceful}). */
    void close(boolean graceful) {
        if (closed) return;
        closed = true;
        if (graceful) {
            try {
                synchronized (this) {
                    out.write(DISCONNECT << 4);
                    out.write(0);
                    out.flush();
                }
            } catch (IOException e) {
                // closing anyway
            }
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
        if (pinger != null) pinger.interrupt();
    }

    private static final class Body {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        void u8(int v) {
            b.write(v);
        }

        void u16(int v) {
            b.write(v >> 8);
            b.write(v);
        }

        void str(String s) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            u16(x.length);
            b.write(x, 0, x.length);
        }

        int size() {
            return b.size();
        }

        void writeTo(OutputStream o) throws IOException {
            b.writeTo(o);
        }
    }
}
