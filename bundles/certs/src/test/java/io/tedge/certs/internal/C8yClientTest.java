package io.tedge.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/** URLs (vectors cert-048..050) and the texts of network failures. */
class C8yClientTest {
    private final C8yClient client = new C8yClient("example.com:443", Path.of("/etc/ssl/certs"), Duration.ofSeconds(30));

    @Test
    void uploadUrl() throws Exception {
        assertThat(C8yClient.uploadUrl("test", "test")).hasToString("https://test/tenant/tenants/test/trusted-certificates");
        assertThat(C8yClient.tenantUrl("test:443")).hasToString("https://test:443/tenant/currentTenant");
    }

    @Test
    void invalidHostsAreRefused() {
        assertThatThrownBy(() -> C8yClient.uploadUrl("@", "test")).hasMessageContaining("Invalid Cumulocity address '@'");
        assertThatThrownBy(() -> C8yClient.tenantUrl("%")).hasMessageContaining("Invalid Cumulocity address '%'");
        assertThatThrownBy(() -> C8yClient.uploadUrl("test", "a/b")).hasMessageContaining("tenant id 'a/b'");
    }

    @Test
    void unknownHostNamesHostAndPort() {
        ConnectException e = new ConnectException();
        e.initCause(new UnresolvedAddressException());
        assertThat(client.failure(e).getMessage()).isEqualTo("Cannot connect to example.com:443: unknown host.");
    }

    @Test
    void refusedConnectionNamesHostAndPort() {
        assertThat(client.failure(new ConnectException()).getMessage()).isEqualTo("Cannot connect to example.com:443: connection refused.");
    }

    @Test
    void connectTimeout() {
        assertThat(client.failure(new HttpConnectTimeoutException("HTTP connect timed out")).getMessage())
                .isEqualTo("Cannot connect to example.com:443: timed out after 30 s.");
    }

    @Test
    void otherFailures() {
        assertThat(client.failure(new IOException("stream closed")).getMessage())
                .isEqualTo("The connection to example.com:443 failed: stream closed");
    }

    @Test
    void basicAuthorization() {
        // vector cert-051: test:test
        assertThat(C8yClient.basic("test", "test".toCharArray())).isEqualTo("Basic dGVzdDp0ZXN0");
        // PROTOCOLS.md 2.2
        assertThat(C8yClient.basic("t0071234/testuser", "secret123".toCharArray())).isEqualTo("Basic dDAwNzEyMzQvdGVzdHVzZXI6c2VjcmV0MTIz");
    }
}
