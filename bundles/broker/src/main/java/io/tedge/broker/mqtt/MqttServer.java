package io.tedge.broker.mqtt;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT listener: non-blocking, a fixed number of I/O threads ({@link IoLoop}) whatever the
 * number of clients. At most {@code mqtt.max_connections} connections at once: beyond, a new
 * client gets CONNACK 3 (server unavailable) to its CONNECT and is closed, logged once per burst;
 * the connected ones are not affected.
 */
public final class MqttServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(MqttServer.class);
    /** Connections over the limit kept open at once to tell them CONNACK 3; beyond, closed at once. */
    private static final int MAX_REFUSING = 64;

    private final Broker broker;
    private final ServerSocketChannel server;
    private final List<IoLoop> loops = new ArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger refusing = new AtomicInteger();
    private int next;
    private SelectionKey acceptKey;
    private long acceptPausedUntil;
    private boolean limitLogged;
    private long refusedInBurst;
    private boolean acceptErrorLogged;
    private volatile boolean closed;

    private MqttServer(Broker broker, ServerSocketChannel server) {
        this.broker = broker;
        this.server = server;
    }

    /** Listens on address:port (port 0: any free port). */
    public static MqttServer start(Broker broker, String address, int port) throws IOException {
        ServerSocketChannel ss = ServerSocketChannel.open();
        ss.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        try {
            ss.bind(new InetSocketAddress(InetAddress.getByName(address), port), 1024);
        } catch (IOException e) {
            ss.close();
            throw new IOException("Cannot listen on " + address + ":" + port + ": " + e.getMessage()
                    + (port != 0 ? " (is another MQTT broker, e.g. mosquitto, already using this port? change mqtt.port)" : ""), e);
        }
        ss.configureBlocking(false);
        MqttServer m = new MqttServer(broker, ss);
        try {
            int n = Math.max(1, broker.settings().ioThreads());
            for (int i = 0; i < n; i++) m.loops.add(new IoLoop(m, broker, i));
            IoLoop first = m.loops.get(0);
            m.acceptKey = ss.register(first.selector, SelectionKey.OP_ACCEPT, m);
            for (IoLoop l : m.loops) l.start();
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        LOG.info("MQTT broker listening on {}:{} (at most {} connections, {} I/O thread(s))", address, m.port(), broker.settings().maxConnections(),
                m.loops.size());
        return m;
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public Broker broker() {
        return broker;
    }

    /** Connections open now (including those being refused). */
    public int connections() {
        return open.get() + refusing.get();
    }

    /** On the first loop's thread. */
    void accept(SelectionKey k) {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (!acceptErrorLogged) {
                    acceptErrorLogged = true;
                    LOG.warn("Cannot accept MQTT connections: {} (retrying every 100 ms)", e.getMessage());
                }
                acceptPausedUntil = System.currentTimeMillis() + 100;
                k.interestOps(0);
                return;
            }
            if (ch == null) return;
            acceptErrorLogged = false;
            int max = broker.settings().maxConnections();
            boolean over = open.get() >= max;
            if (over) {
                refusedInBurst++;
                if (!limitLogged) {
                    limitLogged = true;
                    LOG.warn("Connection limit reached (mqtt.max_connections = {}): new clients get CONNACK 3 (server unavailable)", max);
                }
                if (refusing.get() >= MAX_REFUSING) {
                    closeQuietly(ch);
                    continue;
                }
                refusing.incrementAndGet();
            } else {
                open.incrementAndGet();
            }
            IoLoop l = loops.get(next++ % loops.size());
            l.adopt(ch, over);
        }
    }

    /** Once a second on the first loop's thread. */
    void tick(long now) {
        if (acceptPausedUntil != 0 && now >= acceptPausedUntil && !closed && acceptKey.isValid()) {
            acceptPausedUntil = 0;
            acceptKey.interestOps(SelectionKey.OP_ACCEPT);
        }
        if (limitLogged && open.get() < broker.settings().maxConnections()) {
            LOG.info("Below the connection limit again: {} client(s) were refused meanwhile", refusedInBurst);
            limitLogged = false;
            refusedInBurst = 0;
        }
    }

    void connectionClosed(boolean refused) {
        if (refused) refusing.decrementAndGet();
        else open.decrementAndGet();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing
        }
    }

    /** Stops listening and closes every connection (a persistent session stays, without its client). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        for (IoLoop l : loops) l.stop();
    }
}
