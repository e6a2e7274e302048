package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.CloudMqttStandIn.Acl;
import io.tedge.testkit.GenericMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * API 1.x stays binary compatible: a connector compiled against the 1.1 API jar (the baseline in
 * bundles/api/baseline, with 1.1's 12-argument CloudLink and the static ConnectorConfig helpers)
 * installs from deploy/ into the current agent, connects and forwards.
 */
class Api11CompatIT {
    static final Path API_11 = Path.of("../bundles/api/baseline/io/tedge/tedge-api/1.1.0/tedge-api-1.1.0.jar").toAbsolutePath();

    @TempDir
    Path dir;

    static final String SOURCE = String.join("\n",
            "package legacy;",
            "import java.nio.file.Path;",
            "import java.util.List;",
            "import java.util.Map;",
            "import io.tedge.api.BridgeRule;",
            "import io.tedge.api.CloudConnector;",
            "import io.tedge.api.CloudLink;",
            "import io.tedge.api.ConnectorConfig;",
            "public class LegacyConnector implements CloudConnector {",
            "    public CloudLink link(Map<String, String> config) throws ConnectorException {",
            "        ConnectorConfig.Endpoint e = ConnectorConfig.endpoint(config, \"legacy\", 8883, \"legacy.example.com\");",
            "        String id = ConnectorConfig.deviceId(config);",
            "        return new CloudLink(e.host(), e.port(), id, null, 60, ConnectorConfig.path(config, \"device.key.path\"),",
            "                ConnectorConfig.path(config, \"device.cert.path\"), ConnectorConfig.path(config, \"legacy.root.cert.path\"),",
            "                List.of(BridgeRule.out(\"#\", 1, \"legacy/\", \"thinedge/\" + id + \"/legacy/\")), 1, false, 65536);",
            "    }",
            "}",
            "");

    static final String COMPONENT = String.join("\n",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"legacy.LegacyConnector\">",
            "  <property name=\"tedge.cloud\" value=\"legacy\"/>",
            "  <service><provide interface=\"io.tedge.api.CloudConnector\"/></service>",
            "  <implementation class=\"legacy.LegacyConnector\"/>",
            "</scr:component>",
            "");

    /** Compiles the connector against the 1.1 jar alone and packs it as a bundle. */
    Path buildLegacyBundle() throws Exception {
        assertThat(API_11).exists();
        Path src = dir.resolve("src/legacy/LegacyConnector.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, SOURCE);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "17", "-cp", API_11.toString(), "-d", classes.toString(), src.toString());
        assertThat(rc).as("javac against the 1.1 API").isZero();
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "legacy.connector");
        a.putValue("Bundle-Version", "1.1.0");
        a.putValue("Import-Package", "io.tedge.api;version=\"[1.1,2)\"");
        a.putValue("Service-Component", "OSGI-INF/legacy.xml");
        a.putValue("Require-Capability", "osgi.extender;filter:=\"(&(osgi.extender=osgi.component)(version>=1.3.0)(!(version>=2.0.0)))\"");
        a.putValue("Provide-Capability", "tedge.config.key;tedge.config.key=\"legacy.url\";type=\"url\";doc=\"Host of the legacy cloud.\","
                + "tedge.config.key;tedge.config.key=\"legacy.mqtt\";type=\"host_port\";doc=\"host:port.\","
                + "tedge.config.key;tedge.config.key=\"legacy.root.cert.path\";type=\"path\";default=\"/etc/ssl/certs\";doc=\"Roots.\"");
        Path jar = dir.resolve("legacy-connector.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.putNextEntry(new JarEntry("legacy/LegacyConnector.class"));
            j.write(Files.readAllBytes(classes.resolve("legacy/LegacyConnector.class")));
            j.closeEntry();
            j.putNextEntry(new JarEntry("OSGI-INF/legacy.xml"));
            j.write(COMPONENT.getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void aConnectorBuiltAgainstApi11WorksInTheCurrentAgent() throws Exception {
        Path jar = buildLegacyBundle();
        Path cfg = dir.resolve("cfg");
        new Agent(cfg);
        AwsIT.ok(Agent.run(cfg, "cert", "create", "--device-id", "dev-legacy"));
        Path deployed = Agent.HOME.resolve("deploy/legacy-connector.jar");
        TestPki pki = TestPki.create("legacy-standin-ca");
        Path ca = pki.writeCaPem(dir.resolve("legacy-ca.pem"));
        LiveTrust trust = new LiveTrust(TestPki.readCertificate(cfg.resolve("device-certs/tedge-certificate.pem")));
        try (GenericMqttStandIn cloud = GenericMqttStandIn.builder("legacy", pki, trust).acl(Acl.write("thinedge/%c/#")).start()) {
            Files.writeString(cfg.resolve("tedge.toml"), Files.readString(cfg.resolve("tedge.toml"))
                    + "\n[legacy]\nurl = \"localhost\"\nmqtt = \"localhost:" + cloud.port() + "\"\nroot_cert_path = \"" + ca + "\"\n");
            try (Agent agent = new Agent(cfg, AwsIT.port(cfg)).startAndWait()) {
                Files.copy(jar, Agent.HOME.resolve("deploy/.legacy.tmp"), StandardCopyOption.REPLACE_EXISTING);
                Files.move(Agent.HOME.resolve("deploy/.legacy.tmp"), deployed, StandardCopyOption.ATOMIC_MOVE);
                Agent.await("the legacy connector in tedge plugins", Duration.ofSeconds(30), () -> {
                    try {
                        return agent.tedge("plugins").out().matches("(?s).*connector +legacy +legacy.connector +1\\.1\\.0 +ACTIVE.*");
                    } catch (Exception e) {
                        return false;
                    }
                });
                Agent.Result c = agent.tedge("connect", "legacy");
                assertThat(c.code()).as(c.toString()).isZero();
                assertThat(c.out()).contains("The link is up.");
                AwsIT.ok(agent.tedge("mqtt", "pub", "-q", "1", "legacy/data", "hello from 1.1"));
                assertThat(cloud.awaitReceived(r -> r.topic().equals("thinedge/dev-legacy/legacy/data"), Duration.ofSeconds(30)).text())
                        .isEqualTo("hello from 1.1");
                AwsIT.ok(agent.tedge("disconnect", "legacy"));
            }
        } finally {
            Files.deleteIfExists(deployed);
        }
    }
}
