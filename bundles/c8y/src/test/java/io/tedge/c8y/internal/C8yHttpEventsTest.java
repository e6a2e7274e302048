package io.tedge.c8y.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;
import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.FakeBus;
import io.tedge.testkit.Json;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * Large events over HTTPS against the REST stand-in: the JWT asked over MQTT (s/uat → 71), the
 * source's internal id, the POST, 401 renewing the token, a child not yet known, refusals, and a
 * server the device does not trust.
 */
class C8yHttpEventsTest {
    @TempDir
    Path dir;
    TestPki pki;
    C8yHttpStandIn rest;
    FakeBus bus;
    final AtomicInteger tokens = new AtomicInteger();
    Path roots;

    @BeforeEach
    void start() throws Exception {
        pki = TestPki.create("c8y-ca");
        rest = C8yHttpStandIn.start(pki, new LiveTrust(), "secret");
        rest.setTokenCheck(t -> t.equals("jwt-" + tokens.get()));
        roots = pki.writeCaPem(dir.resolve("roots.pem"));
        bus = new FakeBus().respond(m -> m.topic().equals("c8y/s/uat")
                ? List.of(BusMessage.of("c8y/s/dat", "71,jwt-" + tokens.incrementAndGet(), 1)) : List.of());
    }

    @AfterEach
    void stop() {
        rest.close();
    }

    private C8yHttpEvents sender(Path trust) {
        return new C8yHttpEvents(bus, client(trust), 50);
    }

    private C8yHttp client(Path trust) {
        return new C8yHttp(bus, new C8yHttp.Settings("dev1", "https://127.0.0.1:" + rest.port(), trust, null, List.of("127.0.0.1")),
                Duration.ofSeconds(2), java.time.Clock.systemUTC(), 50);
    }

    private static byte[] event(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void postsTheEventWithItsSourceAndAToken() throws Exception {
        sender(roots).send(event("{\"type\":\"big\",\"time\":\"2021-04-08T00:00:00Z\",\"text\":\"" + "x".repeat(20_000) + "\",\"k\":{\"a\":1}}"), false);
        C8yHttpStandIn.Request lookup = rest.requests().get(0);
        assertThat(lookup.method() + " " + lookup.path()).isEqualTo("GET /identity/externalIds/c8y_Serial/dev1");
        C8yHttpStandIn.Request post = rest.requests().get(1);
        assertThat(post.method() + " " + post.path()).isEqualTo("POST /event/events");
        assertThat(post.header("Authorization")).isEqualTo("Bearer jwt-1");
        assertThat(post.header("Content-Type")).isEqualTo("application/json");
        var body = Json.parseObject(post.body());
        assertThat(body.get("source").toString()).isEqualTo("{id=20000}");
        assertThat(body.get("type")).isEqualTo("big");
        assertThat((String) body.get("text")).hasSize(20_000);
        assertThat(body.get("k").toString()).isEqualTo("{a=1}");
        assertThat(bus.on("c8y/s/uat")).hasSize(1);
        assertThat(bus.on("c8y/s/uat").get(0).qos()).isZero();
    }

    @Test
    void a401RenewsTheToken() throws Exception {
        C8yHttpEvents s = sender(roots);
        s.send(event("{\"type\":\"e\",\"time\":\"2021-04-08T00:00:00Z\",\"text\":\"t\"}"), false);
        tokens.incrementAndGet(); // the cloud now wants a newer token than the one kept
        s.send(event("{\"type\":\"e\",\"time\":\"2021-04-08T00:00:00Z\",\"text\":\"t2\"}"), false);
        List<C8yHttpStandIn.Request> posts = rest.requests().stream().filter(r -> r.method().equals("POST")).toList();
        assertThat(posts).extracting(r -> r.header("Authorization")).containsExactly("Bearer jwt-1", "Bearer jwt-1", "Bearer jwt-3");
        assertThat(rest.requests().stream().filter(r -> r.method().equals("GET"))).hasSize(1); // the id is kept
    }

    @Test
    void aChildEventGoesToTheChildAndWithoutExternalSource() throws Exception {
        sender(roots).send(event("{\"type\":\"e\",\"time\":\"2021-04-08T00:00:00Z\",\"text\":\"t\",\"externalSource\":{\"externalId\":\"kid\",\"type\":\"c8y_Serial\"}}"),
                false);
        assertThat(rest.requests().get(0).path()).isEqualTo("/identity/externalIds/c8y_Serial/kid");
        var body = Json.parseObject(rest.requests().get(1).body());
        assertThat(body).doesNotContainKey("externalSource");
        assertThat(body.get("source").toString()).isEqualTo("{id=20000}");
    }

    @Test
    void anUnknownChildWaitsThenIsGivenUpWithUpstreamsText() throws Exception {
        rest.setIdentities(id -> null);
        C8yHttpEvents s = sender(roots);
        byte[] e = event("{\"type\":\"e\",\"time\":\"2021-04-08T00:00:00Z\",\"text\":\"t\",\"externalSource\":{\"externalId\":\"kid\",\"type\":\"c8y_Serial\"}}");
        assertThatThrownBy(() -> s.send(e, false)).isInstanceOf(C8yHttp.Later.class).hasMessageContaining("404");
        assertThatThrownBy(() -> s.send(e, true)).isInstanceOf(C8yHttp.Refused.class)
                .hasMessage("The given Child ID 'kid' is not registered with Cumulocity. To send the events to the child device, it has to be registered first.");
    }

    @Test
    void aRefusedEventIsGivenUpWithTheAnswerOnTedgeErrors() throws Exception {
        C8yHttpEvents s = sender(roots);
        s.deliver(new BusMessage(EventTranslator.HTTP, event("{\"type\":\"e\",\"text\":\"no time\"}"), 1, false, 5));
        assertThat(bus.on("tedge/errors")).hasSize(1);
        assertThat(bus.on("tedge/errors").get(0).text()).startsWith("Cumulocity refused an event sent over HTTP (POST /event/events answered 422)");
    }

    @Test
    void aServerTheDeviceDoesNotTrustIsNotSentTo() throws Exception {
        Path other = TestPki.create("other-ca").writeCaPem(dir.resolve("other.pem"));
        assertThatThrownBy(() -> sender(other).send(event("{\"type\":\"e\",\"time\":\"2021-04-08T00:00:00Z\",\"text\":\"t\"}"), false))
                .isInstanceOf(C8yHttp.Later.class).hasMessageContaining("cannot reach");
        assertThat(rest.requests()).isEmpty();
    }

    @Test
    void noAnswerToTheTokenRequestIsTriedAgainLater() {
        bus.respond(m -> List.of());
        assertThatThrownBy(() -> sender(roots).send(event("{\"type\":\"e\",\"time\":\"t\",\"text\":\"t\"}"), false))
                .isInstanceOf(C8yHttp.Later.class).hasMessageContaining("no JWT");
    }

    @Test
    void settingsSayWhatIsMissing() {
        assertThat(C8yHttp.Settings.of(java.util.Map.of("device.id", "d")).problem()).isEqualTo("c8y.url is not set");
        var s = C8yHttp.Settings.of(java.util.Map.of("device.id", "d", "c8y.url", "t.example.com", "c8y.http", "t.example.com:8443"));
        assertThat(s.endpoint()).isEqualTo("https://t.example.com:8443");
        assertThat(C8yHttp.Settings.of(java.util.Map.of("device.id", "d", "c8y.url", "t.example.com")).endpoint()).isEqualTo("https://t.example.com:443");
    }
}
