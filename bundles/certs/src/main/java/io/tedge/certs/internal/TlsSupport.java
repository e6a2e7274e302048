package io.tedge.certs.internal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.tedge.certs.CertException;

/** Client TLS contexts from trust anchors and, optionally, the device identity. */
public final class TlsSupport {
    private TlsSupport() {
    }

    public static SSLContext clientContext(KeyManager[] kms, List<X509Certificate> anchors) throws CertException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int n = 0;
            for (X509Certificate c : anchors) ks.setCertificateEntry("anchor-" + n++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            return ClientTlsContext.create(kms, tmf.getTrustManagers());
        } catch (GeneralSecurityException | IOException e) {
            throw new CertException("Cannot set up TLS: " + Texts.reason(e), e);
        }
    }
}
