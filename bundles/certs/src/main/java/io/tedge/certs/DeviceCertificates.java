package io.tedge.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import io.tedge.certs.internal.C8yClient;
import io.tedge.certs.internal.CertBuilder;
import io.tedge.certs.internal.CertText;
import io.tedge.certs.internal.DeviceIdRules;
import io.tedge.certs.internal.Keys;
import io.tedge.certs.internal.Pem;
import io.tedge.certs.internal.SecureFiles;
import io.tedge.certs.internal.Texts;
import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfig;
import io.tedge.config.X509Fields;

/**
 * The device certificate and key of one configuration ({@code device.cert.path},
 * {@code device.key.path}): what {@code tedge cert create | show | remove | upload c8y |
 * create-csr} do. Paths and cloud settings are read from the configuration at each call.
 * <p>
 * Missing parent folders of the certificate, the key and the request are created (as newer
 * thin-edge.io releases do). The key file is created readable and writable by its owner only,
 * then made read-only (0400); the certificate ends up 0444. Existing files are never replaced.
 */
public final class DeviceCertificates {
    public static final String ORGANIZATION = "Thin Edge";
    public static final String ORGANIZATIONAL_UNIT = "Test Device";
    /** The OU of certificate signing requests (thin-edge.io 1.x and later). */
    public static final String CSR_ORGANIZATIONAL_UNIT = "Device";
    public static final int VALIDITY_DAYS = 365;
    public static final int MAX_DEVICE_ID_LENGTH = DeviceIdRules.MAX_CN_SIZE;
    /** Connect and answer timeout of each Cumulocity call. */
    public static final Duration HTTP_TIMEOUT = Duration.ofSeconds(30);

    private final TedgeConfig config;

    public DeviceCertificates(TedgeConfig config) {
        this.config = config;
    }

    /** {@code device.cert.path}. */
    public Path certPath() throws CertException {
        return Path.of(setting("device.cert.path"));
    }

    /** {@code device.key.path}. */
    public Path keyPath() throws CertException {
        return Path.of(setting("device.key.path"));
    }

    /** Where {@code create-csr} writes by default: {@code <config dir>/device-certs/tedge.csr}. */
    public Path defaultCsrPath() {
        return config.dir().resolve("device-certs").resolve("tedge.csr");
    }

    /**
     * Checks a device id against thin-edge.io's rules (1 to 64 characters of {@code A-Z a-z 0-9
     * ' = ( ) , - . ? % * _ ! @}); the exception carries thin-edge.io's text.
     */
    public static void checkDeviceId(String id) throws CertException {
        String err = DeviceIdRules.check(id);
        if (err != null) throw new CertException(err);
    }

    /**
     * A new EC P-256 key and a self-signed certificate for {@code CN=<id>, O=Thin Edge, OU=Test
     * Device}, valid from now minus one day for 365 days. Refuses when the certificate or the key
     * already exists (both stay as they were); when the key cannot be written, the certificate
     * just written is removed again.
     */
    public void create(String deviceId) throws CertException {
        checkDeviceId(deviceId);
        Path cert = certPath();
        Path key = keyPath();
        if (cert.toAbsolutePath().normalize().equals(key.toAbsolutePath().normalize())) {
            throw new CertException("device.cert.path and device.key.path are the same file (" + cert + "); set them to two files.");
        }
        if (SecureFiles.exists(cert)) throw new CertException(Texts.certificateAlreadyExists(cert));
        if (SecureFiles.exists(key)) throw new CertException(Texts.certificateAlreadyExists(key));
        createParents(cert, "device.cert.path");
        createParents(key, "device.key.path");

        KeyPair kp = Keys.newEcP256();
        X509Certificate c = CertBuilder.selfSigned(kp, CertBuilder.name(deviceId, ORGANIZATION, ORGANIZATIONAL_UNIT),
                Instant.now().minus(Duration.ofDays(1)), VALIDITY_DAYS);
        byte[] certPem;
        try {
            certPem = Pem.encode("CERTIFICATE", c.getEncoded()).getBytes(StandardCharsets.US_ASCII);
        } catch (CertificateException e) {
            throw new CertException("Cannot encode the certificate: " + Texts.reason(e), e);
        }
        try {
            SecureFiles.createNew(cert, certPem, SecureFiles.CERT_WHILE_WRITING, SecureFiles.CERT_FINAL);
        } catch (FileAlreadyExistsException e) {
            throw new CertException(Texts.certificateAlreadyExists(cert));
        } catch (IOException e) {
            throw new CertException("Cannot write the device certificate " + cert + ": " + Texts.reason(e));
        }
        try {
            writeKey(key, kp.getPrivate());
        } catch (CertException e) {
            try {
                Files.deleteIfExists(cert);
            } catch (IOException ignored) {
                // the key error below is what the user must see
            }
            throw e;
        }
    }

    /**
     * The text of {@code tedge cert show} (thin-edge.io 0.2): {@code Device certificate:},
     * {@code Subject:}, {@code Issuer:}, {@code Valid from:}, {@code Valid up to:} (RFC 2822, UTC)
     * and {@code Thumbprint:} (upper-case hex SHA-1 of the DER), one line each.
     */
    public String show() throws CertException {
        String path = setting("device.cert.path");
        Path cert = Path.of(path);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(cert);
        } catch (NoSuchFileException e) {
            throw new CertException(Texts.certificateNotFound(cert));
        } catch (IOException e) {
            throw new CertException("Cannot read the device certificate " + cert + ": " + Texts.reason(e));
        }
        if (!new String(bytes, StandardCharsets.ISO_8859_1).contains("-----BEGIN CERTIFICATE-----")) {
            throw new CertException("PEM file format error: no certificate in " + cert);
        }
        try {
            // the fields from the DER, not CertificateFactory: a third of the command's time (X509Fields)
            return CertText.show(path, X509Fields.read(bytes));
        } catch (CertificateException e) {
            throw new CertException("X509 file format error: " + Texts.reason(e) + " (" + cert + ")");
        }
    }

    /** The thumbprint of the device certificate: upper-case hex SHA-1 of its DER, no separators. */
    public String thumbprint() throws CertException {
        try {
            return CertText.thumbprint(readDeviceCert(certPath()).getEncoded());
        } catch (CertificateException e) {
            throw new CertException("X509 file format error: " + Texts.reason(e));
        }
    }

    /** Deletes the certificate and the key; a missing file is fine. */
    public RemoveResult remove() throws CertException {
        boolean removed = delete(certPath());
        removed |= delete(keyPath());
        return removed ? RemoveResult.REMOVED : RemoveResult.NOTHING_TO_REMOVE;
    }

    /**
     * Uploads the device certificate to Cumulocity as a trusted certificate with
     * auto-registration: {@code GET https://<c8y.http>/tenant/currentTenant} for the tenant id,
     * then {@code POST /tenant/tenants/<id>/trusted-certificates}, with Basic authentication.
     * HTTPS trusts the anchors of {@code c8y.root.cert.path}. The password is used for the
     * Authorization header only; the caller should wipe the array afterwards.
     */
    public UploadResult uploadC8y(String user, char[] password) throws CertException {
        if (user == null || user.isBlank()) {
            throw new CertException("A Cumulocity user name is required: tedge cert upload c8y --user <user>.");
        }
        Path cert = certPath();
        X509Certificate c = readDeviceCert(cert);
        String pem;
        try {
            pem = Files.readString(cert, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CertException("Cannot read the device certificate " + cert + ": " + Texts.reason(e));
        }
        String id = CertText.commonName(c.getSubjectX500Principal().getEncoded());
        if (id == null || id.isEmpty()) {
            throw new CertException("The device certificate " + cert + " has no common name (CN), so there is no device id to upload it as.");
        }
        String hostPort = c8yHttp();
        Path root = Path.of(setting(C8yClient.ROOT_KEY));
        return new C8yClient(hostPort, root, HTTP_TIMEOUT).upload(user, password, id, pem);
    }

    /**
     * Writes a PKCS#10 certificate signing request for {@code CN=<id>, O=Thin Edge, OU=Device},
     * signed with the existing device key, or with a new EC P-256 key (written to
     * {@code device.key.path}) when there is none. The id defaults to the CN of the existing
     * device certificate. Returns the path written: {@code outputPath}, or
     * {@link #defaultCsrPath()}. An existing request file is replaced.
     */
    public Path createCsr(Optional<String> deviceId, Optional<Path> outputPath) throws CertException {
        String id;
        if (deviceId.isPresent()) {
            id = deviceId.get();
            checkDeviceId(id);
        } else {
            id = idFromCertificate();
        }
        Path key = keyPath();
        PrivateKey pk;
        PublicKey pub;
        boolean newKey = !SecureFiles.exists(key);
        if (newKey) {
            createParents(key, "device.key.path");
            KeyPair kp = Keys.newEcP256();
            writeKey(key, kp.getPrivate());
            pk = kp.getPrivate();
            pub = kp.getPublic();
        } else {
            pk = Keys.read(key);
            pub = Keys.publicKeyOf(pk);
        }
        Path out = outputPath.orElse(defaultCsrPath());
        try {
            byte[] der = CertBuilder.csr(pk, pub, CertBuilder.name(id, ORGANIZATION, CSR_ORGANIZATIONAL_UNIT));
            SecureFiles.createParents(out);
            SecureFiles.replace(out, Pem.encode("CERTIFICATE REQUEST", der).getBytes(StandardCharsets.US_ASCII), SecureFiles.CERT_WHILE_WRITING);
            return out;
        } catch (IOException | CertException e) {
            if (newKey) {
                try {
                    Files.deleteIfExists(key);
                } catch (IOException ignored) {
                    // report the original failure
                }
            }
            if (e instanceof CertException ce) throw ce;
            throw new CertException("Cannot write the certificate signing request " + out + ": " + Texts.reason(e));
        }
    }

    // ------------------------------------------------------------------ helpers

    private String idFromCertificate() throws CertException {
        Path cert = certPath();
        if (!SecureFiles.exists(cert)) {
            throw new CertException("No device id given, and no device certificate to take it from (" + cert + ").\n"
                    + " Run `tedge cert create-csr --device-id <id>`.");
        }
        String cn = CertText.commonName(readDeviceCert(cert).getSubjectX500Principal().getEncoded());
        if (cn == null || cn.isEmpty()) throw new CertException("The device certificate " + cert + " has no common name (CN); give --device-id.");
        return cn;
    }

    private static X509Certificate readDeviceCert(Path cert) throws CertException {
        String text;
        try {
            text = Files.readString(cert, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new CertException(Texts.certificateNotFound(cert));
        } catch (IOException e) {
            throw new CertException("Cannot read the device certificate " + cert + ": " + Texts.reason(e));
        }
        List<X509Certificate> certs;
        try {
            certs = Pem.certificates(text);
        } catch (CertificateException e) {
            throw new CertException("X509 file format error: " + Texts.reason(e) + " (" + cert + ")");
        }
        if (certs.isEmpty()) throw new CertException("PEM file format error: no certificate in " + cert);
        return certs.get(0);
    }

    private static void writeKey(Path key, PrivateKey pk) throws CertException {
        byte[] der = pk.getEncoded();
        byte[] pem = Pem.encode("PRIVATE KEY", der).getBytes(StandardCharsets.US_ASCII);
        try {
            SecureFiles.createNew(key, pem, SecureFiles.KEY_WHILE_WRITING, SecureFiles.KEY_FINAL);
        } catch (FileAlreadyExistsException e) {
            throw new CertException(Texts.certificateAlreadyExists(key));
        } catch (IOException e) {
            throw new CertException("Cannot write the private key " + key + ": " + Texts.reason(e));
        } finally {
            Arrays.fill(der, (byte) 0);
            Arrays.fill(pem, (byte) 0);
        }
    }

    private static void createParents(Path file, String key) throws CertException {
        try {
            SecureFiles.createParents(file);
        } catch (IOException e) {
            throw new CertException("Invalid " + key + " path: cannot create the folder " + file.toAbsolutePath().getParent()
                    + ": " + Texts.reason(e));
        }
    }

    private static boolean delete(Path p) throws CertException {
        try {
            return Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new CertException("Cannot remove " + p + ": " + Texts.reason(e));
        }
    }

    private String c8yHttp() throws CertException {
        try {
            Optional<String> http = config.get("c8y.http");
            if (http.isPresent()) return http.get();
            config.require("c8y.url");
            return config.require("c8y.http");
        } catch (ConfigException e) {
            throw new CertException(e.getMessage(), e);
        }
    }

    private String setting(String key) throws CertException {
        try {
            return config.require(key);
        } catch (ConfigException e) {
            throw new CertException(e.getMessage(), e);
        }
    }
}
