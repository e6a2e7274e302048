package io.tedge.c8y.internal.operations;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;
import io.tedge.c8y.internal.C8yHttp;
import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.FakeBus;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * Device management wired to the bundle's REST client ({@link C8yHttp}) against the HTTPS
 * stand-in: the software list PUT after a successful update, configuration upload and download
 * and log requests as events with binaries, the file operations advertised in 114.
 */
class OperationsOverHttpsTest {
    @TempDir
    Path dir;
    C8yHttpStandIn rest;
    FakeBus bus;
    C8yOperations ops;
    int tokens;

    @BeforeEach
    void setUp() throws Exception {
        TestPki pki = TestPki.create("c8y-ca");
        rest = C8yHttpStandIn.start(pki, new LiveTrust(), "secret");
        rest.setTokenCheck(t -> t.equals("jwt-1"));
        Path roots = pki.writeCaPem(dir.resolve("roots.pem"));
        bus = new FakeBus().respond(m -> m.topic().equals("c8y/s/uat") ? List.of(BusMessage.of("c8y/s/dat", "71,jwt-" + ++tokens, 1)) : List.of());
        Map<String, Object> props = new HashMap<>();
        props.put("device.id", "dev1");
        props.put("tedge.config.dir", dir.toString());
        props.put("c8y.url", "localhost");
        props.put("c8y.http", rest.hostPort());
        props.put("c8y.root.cert.path", roots.toString());
        props.put("data.path", dir.resolve("data").toString());
        props.put("logs.path", dir.resolve("logs").toString());
        Path plugins = Files.createDirectories(dir.resolve("c8y"));
        Files.createDirectories(dir.resolve("operations/c8y"));
        Files.writeString(dir.resolve("app.conf"), "old content\n");
        Files.writeString(plugins.resolve("c8y-configuration-plugin.toml"), "files = [ { path = '" + dir.resolve("app.conf")
                + "', type = 'app', mode = 0o600 } ]\n");
        Path logs = Files.createDirectories(dir.resolve("applogs"));
        Files.writeString(logs.resolve("app-1.log"), "a error early\n");
        Files.setLastModifiedTime(logs.resolve("app-1.log"), FileTime.from(Instant.parse("2026-11-30T10:00:00Z")));
        Files.writeString(logs.resolve("app-2.log"), "b start\nb error two\nb end\n");
        Files.setLastModifiedTime(logs.resolve("app-2.log"), FileTime.from(Instant.parse("2026-12-01T10:00:00Z")));
        Files.writeString(plugins.resolve("c8y-log-plugin.toml"), "files = [ { type = \"app\", path = \"" + logs + "/app-*.log\" } ]\n");
        ops = new C8yOperations(bus, props, Clock.systemUTC());
        ops.setHttp(new C8yHttp(bus, C8yHttp.Settings.of(props), Duration.ofSeconds(2), Clock.systemUTC(), 10));
    }

    @AfterEach
    void tearDown() {
        rest.close();
    }

    private static List<String> lines(List<BusMessage> ms) {
        List<String> out = new ArrayList<>();
        for (BusMessage m : ms) out.add(m.topic() + " " + m.text());
        return out;
    }

    @Test
    void theFileOperationsAreAdvertisedOnceTheClientIsThere() {
        assertThat(lines(ops.init())).contains("c8y/s/us 114,c8y_DownloadConfigFile,c8y_LogfileRequest,c8y_UploadConfigFile\n",
                "c8y/s/us 118,app", "c8y/s/us 119,app,c8y-configuration-plugin");
    }

    @Test
    void aSuccessfulUpdatePutsTheSoftwareListThenSays503AndAFailureLeavesTheList() throws Exception {
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/software/update", "{\"id\":\"1\",\"status\":\"successful\","
                + "\"currentSoftwareList\":[{\"type\":\"apt\",\"modules\":[{\"name\":\"a\",\"version\":\"1\"}]},"
                + "{\"type\":\"test\",\"modules\":[{\"name\":\"c\",\"version\":\"2\"}]}]}", 1))))
                .containsExactly("c8y/s/us 503,c8y_SoftwareUpdate,\n");
        String id = rest.idOf("dev1");
        assertThat(rest.managedObject(id).get("c8y_SoftwareList").toString())
                .isEqualTo("[{name=a, version=1::apt, url=}, {name=c, version=2::test, url=}]");
        int before = rest.requests().size();
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/software/update",
                "{\"id\":\"2\",\"status\":\"failed\",\"reason\":\"Failed to install c\",\"currentSoftwareList\":[]}", 1))))
                .containsExactly("c8y/s/us 502,c8y_SoftwareUpdate,\"Failed to install c\"\n");
        assertThat(rest.requests()).hasSize(before);
        rest.respondNext(500, "{}");
        rest.respondNext(500, "{}");
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/software/update", "{\"id\":\"3\",\"status\":\"successful\","
                + "\"currentSoftwareList\":[]}", 1)))).containsExactly("c8y/s/us 502,c8y_SoftwareUpdate,"
                        + "\"The software was updated, but the software list could not be sent to Cumulocity\"\n");
        assertThat(rest.managedObject(id).get("c8y_SoftwareList").toString()).contains("2::test");
    }

    @Test
    void configurationUploadDownloadAndLogsGoThroughTheTenant() throws Exception {
        List<String> up = lines(ops.files.handle(List.of("526", "dev1", "app"), ops.http));
        assertThat(up).hasSize(2);
        assertThat(up.get(1)).matches("c8y/s/us 503,c8y_UploadConfigFile,https://127\\.0\\.0\\.1:\\d+/event/events/\\d+/binaries\n");
        String binary = up.get(1).substring(up.get(1).indexOf("/event/")).strip();
        assertThat(new String(rest.binary(binary), StandardCharsets.UTF_8)).isEqualTo("old content\n");

        String url = rest.putBinary("new = 2\n".getBytes(StandardCharsets.UTF_8));
        assertThat(lines(ops.files.handle(List.of("524", "dev1", url, "app"), ops.http))).containsExactly(
                "c8y/s/us 501,c8y_DownloadConfigFile\n", "c8y/s/us 503,c8y_DownloadConfigFile,\n",
                "tedge/configuration_change/app {\"path\":\"" + dir.resolve("app.conf") + "\"}");
        assertThat(dir.resolve("app.conf")).hasContent("new = 2");
        assertThat(rest.requests()).filteredOn(r -> r.path().startsWith("/inventory/binaries/")).singleElement()
                .satisfies(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer jwt-1"));

        List<String> log = lines(ops.files.handle(List.of("522", "dev1", "app", "2026-12-01T00:00:00+0100", "2026-12-02T00:00:00+0100", "error", "5"),
                ops.http));
        assertThat(log.get(1)).startsWith("c8y/s/us 503,c8y_LogfileRequest,https://");
        String logBinary = log.get(1).substring(log.get(1).indexOf("/event/")).strip();
        assertThat(new String(rest.binary(logBinary), StandardCharsets.UTF_8)).isEqualTo("filename: app-2.log\nb error two\n");
    }
}
