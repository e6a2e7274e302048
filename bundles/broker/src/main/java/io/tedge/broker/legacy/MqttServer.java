package io.tedge.broker.legacy;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT listener: accepts TCP (or TLS) connections and hands each to a {@link Connection} on
 * the given {@link Broker}. With an SSLContext and {@code needClientAuth}, clients must present a
 * certificate the context's trust manager accepts.
 */
public final class MqttServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(MqttServer.class);

    private final Broker broker;
    private final ServerSocket server;
    private final Thread acceptor;
    private volatile boolean closed;

    private MqttServer(Broker broker, ServerSocket server) {
        this.broker = broker;
        this.server = server;
        this.acceptor = new Thread(null, this::acceptLoop, "mqtt-accept :" + server.getLocalPort(), 256 * 1024);
        acceptor.setDaemon(true);
    }

    /** Plain TCP listener on address:port (port 0: any free port). */
    public static MqttServer start(Broker broker, String address, int port) throws IOException {
        return start(broker, address, port, null, false);
    }

    /** Listener, TLS when {@code ssl} is not null. */
    public static MqttServer start(Broker broker, String address, int port, SSLContext ssl, boolean needClientAuth) throws IOException {
        ServerSocket ss;
        if (ssl != null) {
            SSLServerSocket s = (SSLServerSocket) ssl.getServerSocketFactory().createServerSocket();
            s.setNeedClientAuth(needClientAuth);
            ss = s;
        } else {
            ss = new ServerSocket();
        }
        ss.setReuseAddress(true);
        try {
            ss.bind(new InetSocketAddress(InetAddress.getByName(address), port), 128);
        } catch (IOException e) {
            ss.close();
            throw new IOException("Cannot listen on " + address + ":" + port + ": " + e.getMessage()
                    + (port != 0 ? " (is another MQTT broker, e.g. mosquitto, already using this port? change mqtt.port)" : ""), e);
        }
        MqttServer m = new MqttServer(broker, ss);
        m.acceptor.start();
        LOG.info("MQTT broker listening on {}:{}{}", address, ss.getLocalPort(), ssl != null ? " (TLS)" : "");
        return m;
    }

    public int port() {
        return server.getLocalPort();
    }

    public Broker broker() {
        return broker;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                new Connection(broker, s).start();
            } catch (IOException e) {
                if (!closed) LOG.warn("Accepting an MQTT connection failed: {}", e.toString());
            }
        }
    }

    /** Stops listening (open connections are closed by {@link Broker#close()}). */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
