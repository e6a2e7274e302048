package io.tedge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tedge.api.CloudConnector.ConnectorException;

class CloudLinkBuilderTest {
    static Map<String, String> config() {
        Map<String, String> c = new HashMap<>();
        c.put("acme.url", "acme.example.com");
        c.put("acme.root.cert.path", "/etc/acme/ca.pem");
        c.put("device.id", "dev-1");
        c.put("device.key.path", "/k.pem");
        c.put("device.cert.path", "/c.pem");
        return c;
    }

    @Test
    void defaultsComeFromTheCloudsKeys() throws Exception {
        BridgeRule r = BridgeRule.out("t/#", 1, "acme/", "things/dev-1/");
        CloudLink l = CloudLink.builder(ConnectorConfig.of("acme", config())).rules(r).build();
        assertThat(l).isEqualTo(new CloudLink("acme.example.com", 8883, "dev-1", null, 60, Path.of("/k.pem"), Path.of("/c.pem"),
                Path.of("/etc/acme/ca.pem"), List.of(r), 1, false, 131072));
    }

    @Test
    void mqttKeyWinsOverUrlAndEveryDefaultCanBeReplaced() throws Exception {
        Map<String, String> c = config();
        c.put("acme.mqtt", "127.0.0.1:41883");
        CloudLink l = CloudLink.builder(ConnectorConfig.of("acme", c)).username("u").keepAliveSeconds(30).maxQos(2).retainAllowed(true)
                .maxPayload(1000).clientId("other").rootCertPath(Path.of("/r")).build();
        assertThat(l.host()).isEqualTo("127.0.0.1");
        assertThat(l.port()).isEqualTo(41883);
        assertThat(l.username()).isEqualTo("u");
        assertThat(l.keepAliveSeconds()).isEqualTo(30);
        assertThat(l.maxQos()).isEqualTo(2);
        assertThat(l.retainAllowed()).isTrue();
        assertThat(l.maxPayload()).isEqualTo(1000);
        assertThat(l.clientId()).isEqualTo("other");
        assertThat(l.rootCertPath()).isEqualTo(Path.of("/r"));
        assertThat(CloudLink.builder(ConnectorConfig.of("acme", c)).endpoint("h", 1).build().host()).isEqualTo("h");
        c.remove("acme.mqtt");
        assertThat(CloudLink.builder(ConnectorConfig.of("acme", c)).defaultPort(443).build().port()).isEqualTo(443);
    }

    @Test
    void missingValuesSayWhatToSet() {
        Map<String, String> c = config();
        c.remove("acme.url");
        assertThatThrownBy(() -> CloudLink.builder(ConnectorConfig.of("acme", c)).exampleHost("my.acme.io").build())
                .isInstanceOf(ConnectorException.class).hasMessage("acme.url is not set. Set it with `tedge config set acme.url my.acme.io`");
        Map<String, String> noRoot = config();
        noRoot.remove("acme.root.cert.path");
        assertThatThrownBy(() -> CloudLink.builder(ConnectorConfig.of("acme", noRoot)).build())
                .hasMessageStartingWith("acme.root.cert.path is not set. Set it with `tedge config set acme.root.cert.path");
        Map<String, String> noId = config();
        noId.remove("device.id");
        assertThatThrownBy(() -> CloudLink.builder(ConnectorConfig.of("acme", noId)).build()).hasMessageContaining("tedge cert create");
    }

    @Test
    void badValuesAreRefusedAtOnce() {
        CloudLink.Builder b = CloudLink.builder(ConnectorConfig.of("acme", config()));
        assertThatThrownBy(() -> b.maxQos(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.endpoint("h", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.maxPayload(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void connectorConfigReadsOneCloud() throws Exception {
        ConnectorConfig cfg = ConnectorConfig.of("acme", config());
        assertThat(cfg.cloud()).isEqualTo("acme");
        assertThat(cfg.get("acme.url")).isEqualTo("acme.example.com");
        assertThat(cfg.get("nope")).isNull();
        assertThat(cfg.deviceId()).isEqualTo("dev-1");
        assertThat(cfg.endpoint(8883, "x")).isEqualTo(new ConnectorConfig.Endpoint("acme.example.com", 8883));
        assertThat(cfg.require("acme.url", "x")).isEqualTo("acme.example.com");
        assertThatThrownBy(() -> cfg.require("acme.token", "<token>")).hasMessage("acme.token is not set. Set it with `tedge config set acme.token <token>`");
        assertThatThrownBy(() -> cfg.asMap().put("a", "b")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void bothWays() {
        BridgeRule r = BridgeRule.both("#", 1, "aws/shadow/", "$aws/things/d/shadow/");
        assertThat(r.toRemote("aws/shadow/update")).isEqualTo("$aws/things/d/shadow/update");
        assertThat(r.toLocal("$aws/things/d/shadow/update/accepted")).isEqualTo("aws/shadow/update/accepted");
    }
}
