package io.tedge.broker.mqtt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.broker.journal.JournalReader;

/**
 * One I/O thread: a selector over its share of the connections (and, on the first loop, the
 * listening socket). Everything a connection does runs here; other threads only {@link
 * #schedule} a connection (something was queued for it, or it must close) or tell the loop that
 * the journal moved. A read buffer and a journal reader are shared by the loop's connections.
 */
final class IoLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(IoLoop.class);

    private final MqttServer server;
    private final Broker broker;
    final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Connection> scheduled = new ConcurrentLinkedQueue<>();
    private record Incoming(SocketChannel channel, boolean refused) {
    }

    private final ConcurrentLinkedQueue<Incoming> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean awake = new AtomicBoolean();
    private volatile boolean journalMoved;
    private final Set<Connection> connections = new HashSet<>();
    private Set<Connection> waitingJournal = new LinkedHashSet<>();
    private final Set<Connection> waitingMemory = new LinkedHashSet<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    /** Small packets for one connection are copied here and written with one call (direct: no copy by the JDK). */
    private final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private JournalReader reader;
    private volatile boolean stopped;
    private final Runnable onJournal = this::journalMoved;

    IoLoop(MqttServer server, Broker broker, int index) throws IOException {
        this.server = server;
        this.broker = broker;
        this.selector = Selector.open();
        this.thread = new Thread(null, this, "tedge-mqtt-io-" + index, 512 * 1024);
        thread.setDaemon(true);
    }

    void start() {
        broker.addWakeup(onJournal);
        thread.start();
    }

    ByteBuffer readBuffer() {
        return readBuffer;
    }

    ByteBuffer writeBuffer() {
        return writeBuffer;
    }

    JournalReader journalReader() {
        if (reader == null) reader = broker.journal().reader(broker.journal().end());
        return reader;
    }

    int connectionCount() {
        return connections.size();
    }

    // ------------------------------------------------------------------ from any thread

    void schedule(Connection c) {
        scheduled.add(c);
        wakeup();
    }

    /** Hands an accepted socket to this loop. */
    void adopt(SocketChannel ch, boolean refused) {
        incoming.add(new Incoming(ch, refused));
        wakeup();
    }

    private void journalMoved() {
        journalMoved = true;
        wakeup();
    }

    private void wakeup() {
        if (Thread.currentThread() != thread && awake.compareAndSet(false, true)) selector.wakeup();
    }

    // ------------------------------------------------------------------ on the loop's thread

    void waitJournal(Connection c) {
        waitingJournal.add(c);
    }

    void waitMemory(Connection c) {
        waitingMemory.add(c);
    }

    void closed(Connection c) {
        connections.remove(c);
        waitingJournal.remove(c);
        waitingMemory.remove(c);
        server.connectionClosed(c.refusedConnection());
    }

    @Override
    public void run() {
        long nextTick = System.currentTimeMillis() + 1000;
        try {
            while (!stopped) {
                long now = System.currentTimeMillis();
                long timeout = waitingMemory.isEmpty() ? Math.max(1, nextTick - now) : 50;
                selector.select(timeout);
                awake.set(false);
                if (stopped) break;
                Set<SelectionKey> keys = selector.selectedKeys();
                for (Iterator<SelectionKey> it = keys.iterator(); it.hasNext(); ) {
                    SelectionKey k = it.next();
                    it.remove();
                    try {
                        if (k.attachment() == server) {
                            if (k.isValid() && k.isAcceptable()) server.accept(k);
                            continue;
                        }
                        Connection c = (Connection) k.attachment();
                        if (k.isValid() && k.isReadable()) c.onReadable();
                        if (k.isValid() && k.isWritable()) c.onWritable();
                    } catch (RuntimeException e) {
                        LOG.error("Unexpected error on an MQTT connection: {}", e.toString(), e);
                        if (k.attachment() instanceof Connection c) c.close(false, "internal error");
                    }
                }
                Incoming in;
                while ((in = incoming.poll()) != null) register(in.channel(), in.refused());
                Connection c;
                while ((c = scheduled.poll()) != null) {
                    try {
                        c.onScheduled();
                    } catch (RuntimeException e) {
                        LOG.error("Unexpected error on the connection of '{}': {}", c.clientId(), e.toString(), e);
                        c.close(false, "internal error");
                    }
                }
                if (journalMoved && !waitingJournal.isEmpty()) {
                    journalMoved = false;
                    Set<Connection> w = waitingJournal;
                    waitingJournal = new LinkedHashSet<>();
                    for (Connection x : w) {
                        if (!x.isClosed()) x.pump();
                    }
                }
                if (!waitingMemory.isEmpty()) {
                    for (Iterator<Connection> it = waitingMemory.iterator(); it.hasNext(); ) {
                        if (it.next().retryMemory()) it.remove();
                    }
                }
                now = System.currentTimeMillis();
                if (now >= nextTick) {
                    nextTick = now + 1000;
                    for (Connection x : new ArrayList<>(connections)) x.tick(now);
                    server.tick(now);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!stopped) LOG.error("The MQTT I/O loop failed: {}", e.toString(), e);
        } finally {
            List<Connection> all = new ArrayList<>(connections);
            for (Connection c : all) c.close(false, "the broker stops");
            try {
                selector.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    private void register(SocketChannel ch, boolean refused) {
        try {
            ch.configureBlocking(false);
            ch.socket().setTcpNoDelay(true);
            Connection c = new Connection(this, broker, ch, refused);
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
            connections.add(c);
        } catch (IOException e) {
            LOG.debug("Could not register a new connection: {}", e.toString());
            server.connectionClosed(refused);
            try {
                ch.close();
            } catch (IOException x) {
                // closing
            }
        }
    }

    void stop() {
        stopped = true;
        broker.removeWakeup(onJournal);
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean onLoopThread() {
        return Thread.currentThread() == thread;
    }
}
