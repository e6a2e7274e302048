package io.tedge.cli;

/** A self-signed certificate with CN=device-serial-number (EC P-256, made once with the JDK). */
final class TestPem {
    static final String CERT = "-----BEGIN CERTIFICATE-----\n"
            + "MIIBKTCBzwIEWg+A+TAKBggqhkjOPQQDAjAfMR0wGwYDVQQDDBRkZXZpY2Utc2Vy\n"
            + "aWFsLW51bWJlcjAeFw0yNjExMjQxNjUyMzBaFw00NjExMjUxNjUyMzBaMB8xHTAb\n"
            + "BgNVBAMMFGRldmljZS1zZXJpYWwtbnVtYmVyMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
            + "AQcDQgAEe7cXaVHu0+s+at8sjz3F2LSHug3YKmhUiwyFgOuDUppzOjC8wsrOMdqZ\n"
            + "3s3+C6FtOqONlQ8ruyBn8yRG1Zmr6TAKBggqhkjOPQQDAgNJADBGAiEApKF85qjI\n"
            + "9GiTpaE6HvvD/pL29GEcWyhL5zWKyov8Fg8CIQCQW6dWItP0i2+jnrn7wFC5Zw2/\n"
            + "OLQn+7ob9fG0DVYgog==\n"
            + "-----END CERTIFICATE-----\n";

    private TestPem() {
    }
}
