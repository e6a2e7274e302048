package io.tedge.certs.internal;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The device's one identity: its key and certificate chain, always offered when the server asks
 * for a client certificate of a matching key type, whatever issuers it lists (as mosquitto and
 * curl do; a self-signed device certificate is never "issued" by a CA the server names).
 */
public final class DeviceKeyManager extends X509ExtendedKeyManager {
    public static final String ALIAS = "tedge-device";
    private final PrivateKey key;
    private final X509Certificate[] chain;

    public DeviceKeyManager(PrivateKey key, X509Certificate[] chain) {
        this.key = key;
        this.chain = chain.clone();
    }

    private String alias(String... keyTypes) {
        if (keyTypes == null) return null;
        String alg = key.getAlgorithm();
        for (String t : keyTypes) {
            if (t == null) continue;
            if (t.equals(alg) || t.startsWith(alg + "_") || (alg.equals("EdDSA") && t.equals("Ed25519"))) return ALIAS;
        }
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return alias(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }
}
