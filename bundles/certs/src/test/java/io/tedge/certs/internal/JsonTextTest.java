package io.tedge.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonTextTest {
    @Test
    void readsTopLevelStringFields() {
        String json = "{\"self\":\"https://x/tenant\",\"nested\":{\"name\":\"inner\",\"list\":[1,{\"a\":\"}\"}]},"
                + "\"allowCreateTenants\":true,\"n\":-1.5e3,\"z\":null,\"name\" : \"t12345\"}";
        assertThat(JsonText.stringField(json, "name")).isEqualTo("t12345");
        assertThat(JsonText.stringField(json, "self")).isEqualTo("https://x/tenant");
        assertThat(JsonText.stringField(json, "allowCreateTenants")).isNull();
        assertThat(JsonText.stringField(json, "missing")).isNull();
    }

    @Test
    void vectorCert051And053() {
        assertThat(JsonText.stringField("{\"name\":\"test\"}", "name")).isEqualTo("test");
        assertThat(JsonText.stringField("{\"test\":\"test\"}", "name")).isNull();
    }

    @Test
    void escapesAreDecoded() {
        assertThat(JsonText.stringField("{\"message\":\"a \\\"b\\\" \\u00e9\\n\"}", "message")).isEqualTo("a \"b\" é\n");
    }

    @Test
    void notJsonGivesNull() {
        assertThat(JsonText.stringField("<html>", "name")).isNull();
        assertThat(JsonText.stringField("", "name")).isNull();
        assertThat(JsonText.stringField("{\"name\":", "name")).isNull();
        assertThat(JsonText.stringField(null, "name")).isNull();
    }

    @Test
    void quoteEscapes() {
        assertThat(JsonText.quote("-----BEGIN\nA\"\\\t\u0001")).isEqualTo("\"-----BEGIN\\nA\\\"\\\\\\t\\u0001\"");
    }

    @Test
    void objectsKeepTheirOrderAndTypes() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("name", "dev\"1");
        m.put("certInPemFormat", "-----BEGIN CERTIFICATE-----\nAB\n");
        m.put("autoRegistrationEnabled", true);
        assertThat(JsonText.object(m)).isEqualTo("{\"name\":\"dev\\\"1\",\"certInPemFormat\":\"-----BEGIN CERTIFICATE-----\\nAB\\n\","
                + "\"autoRegistrationEnabled\":true}");
    }
}
