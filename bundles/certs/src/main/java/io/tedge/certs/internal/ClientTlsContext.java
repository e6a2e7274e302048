package io.tedge.certs.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A client {@link SSLContext} that only speaks TLS 1.2 and 1.3 and verifies the server's host
 * name on every socket and engine it makes (endpoint identification {@code HTTPS}), whoever uses
 * it: java.net.http, Paho, or plain sockets.
 */
public final class ClientTlsContext extends SSLContext {
    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private ClientTlsContext(SSLContext delegate) {
        super(new Spi(delegate), delegate.getProvider(), delegate.getProtocol());
    }

    public static SSLContext create(KeyManager[] kms, TrustManager[] tms) throws java.security.GeneralSecurityException {
        SSLContext d = SSLContext.getInstance("TLS");
        d.init(kms, tms, new SecureRandom());
        return new ClientTlsContext(d);
    }

    static String[] protocols(String[] available) {
        return Arrays.stream(available).filter(PROTOCOLS::contains).toArray(String[]::new);
    }

    static SSLParameters restrict(SSLParameters p) {
        p.setProtocols(protocols(p.getProtocols()));
        if (p.getEndpointIdentificationAlgorithm() == null) p.setEndpointIdentificationAlgorithm("HTTPS");
        return p;
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext d;

        Spi(SSLContext d) {
            this.d = d;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            d.init(km, tm, sr);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new Factory(d.getSocketFactory());
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return d.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            SSLEngine e = d.createSSLEngine();
            e.setSSLParameters(restrict(e.getSSLParameters()));
            return e;
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            SSLEngine e = d.createSSLEngine(host, port);
            e.setSSLParameters(restrict(e.getSSLParameters()));
            return e;
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return d.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return d.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return restrict(d.getDefaultSSLParameters());
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            SSLParameters p = d.getSupportedSSLParameters();
            p.setProtocols(protocols(p.getProtocols()));
            return p;
        }
    }

    private static final class Factory extends SSLSocketFactory {
        private final SSLSocketFactory d;

        Factory(SSLSocketFactory d) {
            this.d = d;
        }

        private static Socket fix(Socket s) {
            if (s instanceof SSLSocket ssl) ssl.setSSLParameters(restrict(ssl.getSSLParameters()));
            return s;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return d.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return d.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException {
            return fix(d.createSocket());
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return fix(d.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return fix(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return fix(d.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return fix(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return fix(d.createSocket(address, port, localAddress, localPort));
        }
    }
}
