package io.tedge.testkit;

import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

import javax.net.ssl.X509TrustManager;

/**
 * A trust manager backed by a live, mutable set of certificates, so that a test (or a REST
 * stand-in) can trust a device certificate while a TLS server is running. A chain is trusted when
 * its certificates are valid now, each is signed by the next one, and either some certificate of
 * the chain is in the set, or the issuer of the last one is in the set and signed it.
 *
 * <p>Listeners ({@link #onChange}) hear of every change before {@link #add}, {@link #remove} or
 * {@link #clear} returns: the MQTT stand-ins use that to give their mosquitto the new trust
 * before the next connection.
 */
public final class LiveTrust implements X509TrustManager {
    private final Set<X509Certificate> trusted = new CopyOnWriteArraySet<>();
    private final List<Consumer<LiveTrust>> listeners = new CopyOnWriteArrayList<>();

    public LiveTrust(X509Certificate... initial) {
        trusted.addAll(List.of(initial));
    }

    /** Trusts this certificate (a self-signed device certificate or a CA). */
    public void add(X509Certificate cert) {
        if (trusted.add(cert)) changed();
    }

    public boolean remove(X509Certificate cert) {
        boolean removed = trusted.remove(cert);
        if (removed) changed();
        return removed;
    }

    public boolean contains(X509Certificate cert) {
        return trusted.contains(cert);
    }

    public void clear() {
        boolean any = !trusted.isEmpty();
        trusted.clear();
        if (any) changed();
    }

    /**
     * Calls {@code listener} with this trust after each change, on the thread that made it;
     * returns what removes the listener again.
     */
    public Runnable onChange(Consumer<LiveTrust> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void changed() {
        for (Consumer<LiveTrust> l : listeners) l.accept(this);
    }

    /** A snapshot of the trusted certificates. */
    public List<X509Certificate> trusted() {
        return List.copyOf(trusted);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return trusted.toArray(new X509Certificate[0]);
    }

    /** Throws when the chain (leaf first) is not trusted; see the class comment for the rule. */
    public void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) throw new CertificateException("empty certificate chain");
        for (X509Certificate c : chain) c.checkValidity();
        for (int i = 0; i + 1 < chain.length; i++) {
            if (!chain[i].getIssuerX500Principal().equals(chain[i + 1].getSubjectX500Principal())
                    || !signedBy(chain[i], chain[i + 1])) {
                throw new CertificateException("broken chain: " + chain[i].getSubjectX500Principal()
                        + " is not signed by " + chain[i + 1].getSubjectX500Principal());
            }
        }
        for (X509Certificate c : chain) {
            if (trusted.contains(c)) return;
        }
        X509Certificate last = chain[chain.length - 1];
        for (X509Certificate t : trusted) {
            if (t.getSubjectX500Principal().equals(last.getIssuerX500Principal()) && signedBy(last, t)) return;
        }
        throw new CertificateException("certificate not trusted: " + chain[0].getSubjectX500Principal());
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
