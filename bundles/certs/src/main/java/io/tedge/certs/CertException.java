package io.tedge.certs;

/**
 * A certificate or TLS error whose message is meant for the user, as it is. Messages never hold
 * a password.
 */
public class CertException extends Exception {
    private static final long serialVersionUID = 1L;

    public CertException(String message) {
        super(message);
    }

    public CertException(String message, Throwable cause) {
        super(message, cause);
    }
}
