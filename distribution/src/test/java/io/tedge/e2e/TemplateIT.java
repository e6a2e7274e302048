package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.CloudMqttStandIn.Acl;
import io.tedge.testkit.GenericMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * The vendor template (examples/connector-template) as a vendor uses it: the API and the testkit
 * installed into a Maven repository (a private one under target/, filled from the local repository
 * read as a remote one, so the shared ~/.m2 is never written and nothing is downloaded), the
 * template built with its own pom (its tests run the connector against the testkit's stand-in),
 * the jar dropped into deploy/, `tedge connect acme` against the testkit's generic stand-in as the
 * ACME cloud (mosquitto, TLS with the device certificate), telemetry, a hot update to a new version
 * under a QoS 1 stream, removal and re-add: every acknowledged message arrives, in order.
 */
class TemplateIT {
    static final Path REPO = Path.of("target/template-m2").toAbsolutePath();
    static final Path SETTINGS = Path.of("target/template-settings.xml").toAbsolutePath();
    static final Path TEMPLATE = Path.of("../examples/connector-template").toAbsolutePath();
    static final Path API_JAR = Path.of("../bundles/api/target/tedge-api-1.2.0.jar").toAbsolutePath();
    static final Path API_POM = Path.of("../bundles/api/pom.xml").toAbsolutePath();
    static final Path TESTKIT_JAR = Path.of("../bundles/testkit/target/tedge-testkit-1.0.0.jar").toAbsolutePath();
    static final Path TESTKIT_POM = Path.of("../bundles/testkit/pom.xml").toAbsolutePath();

    @TempDir
    Path dir;

    static Agent.Result mvn(Path cwd, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q", "-s", SETTINGS.toString(), "-Dmaven.repo.local=" + REPO));
        cmd.addAll(List.of(args));
        cmd.add("-f");
        cmd.add(cwd.resolve("pom.xml").toString());
        return Agent.exec(cmd, Duration.ofMinutes(5));
    }

    static void settings() throws IOException {
        Path local = Path.of(System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository"));
        Files.createDirectories(REPO);
        Files.writeString(SETTINGS, "<settings><mirrors><mirror><id>local-as-remote</id><mirrorOf>*</mirrorOf><url>"
                + local.toUri() + "</url></mirror></mirrors></settings>\n");
    }

    static void copy(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                if (d.getFileName().toString().equals("target")) return FileVisitResult.SKIP_SUBTREE;
                Files.createDirectories(to.resolve(from.relativize(d)));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.copy(f, to.resolve(from.relativize(f)), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * The template copied into a fresh folder, with its version set, built with one command (with
     * its tests, or -DskipTests for a second build of the same sources).
     */
    Path build(String version, boolean tests) throws Exception {
        Path src = dir.resolve("acme-" + version);
        copy(TEMPLATE, src);
        Path pom = src.resolve("pom.xml");
        Files.writeString(pom, Files.readString(pom).replaceFirst("<version>1.0.0</version>", "<version>" + version + "</version>"));
        Agent.Result r = tests ? mvn(src, "package") : mvn(src, "package", "-DskipTests");
        assertThat(r.code()).as(r.toString()).isZero();
        Path jar = src.resolve("target/acme-connector-" + version + ".jar");
        assertThat(jar).exists();
        return jar;
    }

    static void deploy(Path jar) throws IOException {
        Path tmp = Agent.HOME.resolve("deploy/.acme.tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, Agent.HOME.resolve("deploy/acme-connector.jar"), StandardCopyOption.ATOMIC_MOVE);
    }

    static void awaitPlugins(Agent agent, String what, String regex) throws InterruptedException {
        Agent.await(what, Duration.ofSeconds(60), () -> {
            try {
                return agent.tedge("plugins").out().matches("(?s)" + regex);
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void theTemplateBuildsDeploysConnectsUpdatesAndComesBackWithoutLoss() throws Exception {
        settings();
        Agent.Result api = mvn(API_POM.getParent(), "org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file", "-Dfile=" + API_JAR,
                "-DpomFile=" + API_POM);
        assertThat(api.code()).as("the documented API install, into the private repository\n" + api).isZero();
        Agent.Result testkit = mvn(TESTKIT_POM.getParent(), "org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file",
                "-Dfile=" + TESTKIT_JAR, "-DpomFile=" + TESTKIT_POM);
        assertThat(testkit.code()).as("the testkit install, into the private repository\n" + testkit).isZero();
        Path v1 = build("1.0.0", true);
        assertThat(dir.resolve("acme-1.0.0/target/surefire-reports/TEST-com.example.acme.AcmeCloudTest.xml"))
                .as("the template's test against the stand-in ran").content().contains("failures=\"0\"").contains("errors=\"0\"");
        Path v2 = build("1.0.1", false);

        Path cfg = dir.resolve("cfg");
        new Agent(cfg);
        AwsIT.ok(Agent.run(cfg, "cert", "create", "--device-id", "dev-acme"));
        Path deployed = Agent.HOME.resolve("deploy/acme-connector.jar");
        TestPki pki = TestPki.create("acme-standin-ca");
        Path ca = pki.writeCaPem(dir.resolve("acme-ca.pem"));
        LiveTrust trust = new LiveTrust(TestPki.readCertificate(cfg.resolve("device-certs/tedge-certificate.pem")));
        // the ACME cloud: each device on its own devices/<id>/... topics, QoS 0/1, 256 KiB
        try (GenericMqttStandIn cloud = GenericMqttStandIn.builder("acme", pki, trust).acl(Acl.readWrite("devices/%c/#")).maxQos(1)
                .maxMessageSize(256 * 1024).start()) {
            deploy(v1);
            for (String[] kv : new String[][] {{"acme.url", "localhost"}, {"acme.mqtt", "localhost:" + cloud.port()},
                    {"acme.root.cert.path", ca.toString()}, {"bridge.reconnect.initial_ms", "200"}, {"bridge.reconnect.max_ms", "1000"}}) {
                AwsIT.ok(Agent.run(cfg, "config", "set", kv[0], kv[1]));
            }
            try (Agent agent = new Agent(cfg, AwsIT.port(cfg)).startAndWait()) {
                Agent.Result c = agent.tedge("connect", "acme");
                assertThat(c.code()).as(c.toString()).isZero();
                assertThat(c.out()).contains("Connection check to ACME is successful.");
                AwsIT.ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"temperature\": 21.3}"));
                assertThat(cloud.awaitReceived(r -> r.topic().equals("devices/dev-acme/telemetry/measurements"), Duration.ofSeconds(30)).text())
                        .contains("\"measurement\":{\"temperature\": 21.3}");

                // a QoS 1 stream; the connector is updated to 1.0.1 in the middle of it
                int n = 600;
                MqttAsyncClient pub = new MqttAsyncClient("tcp://127.0.0.1:" + agent.port, "acme-stream", new MemoryPersistence());
                MqttConnectOptions o = new MqttConnectOptions();
                o.setMaxInflight(200);
                pub.connect(o).waitForCompletion(10_000);
                List<IMqttDeliveryToken> tokens = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (tokens.size() >= 100) tokens.remove(0).waitForCompletion(10_000);
                    tokens.add(pub.publish("acme/telemetry/n", Integer.toString(i).getBytes(StandardCharsets.UTF_8), 1, false));
                    if (i == 200) deploy(v2);
                }
                for (IMqttDeliveryToken t : tokens) t.waitForCompletion(10_000);
                awaitPlugins(agent, "acme 1.0.1", ".*connector +acme +com.example.acme +1\\.0\\.1 +ACTIVE.*");

                // removed: the keys stay readable, messages for acme wait in the journal
                Files.delete(deployed);
                awaitPlugins(agent, "acme gone", "(?!.*com.example.acme).*");
                Agent.Result get = agent.tedge("config", "get", "acme.url");
                assertThat(get.out()).isEqualTo("localhost\n");
                assertThat(get.err()).contains("(not declared by an installed bundle)");
                for (int i = n; i < n + 50; i++) {
                    pub.publish("acme/telemetry/n", Integer.toString(i).getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
                }
                pub.disconnect().waitForCompletion(5000);
                pub.close();

                // re-added: the link resumes from its cursor
                deploy(v2);
                Agent.await("the last message at the cloud", Duration.ofSeconds(90),
                        () -> cloud.receivedOn("devices/dev-acme/telemetry/n").contains(Integer.toString(n + 49)));
                Set<String> seen = new LinkedHashSet<>(cloud.receivedOn("devices/dev-acme/telemetry/n"));
                List<String> order = new ArrayList<>(seen);
                assertThat(order).hasSize(n + 50);
                for (int i = 0; i < n + 50; i++) assertThat(order.get(i)).isEqualTo(Integer.toString(i));
                assertThat(cloud.closures()).as("nothing the cloud refused").isEmpty();
            }
        } finally {
            Files.deleteIfExists(deployed);
        }
    }
}
