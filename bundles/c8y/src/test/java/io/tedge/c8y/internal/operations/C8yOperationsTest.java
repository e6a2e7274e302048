package io.tedge.c8y.internal.operations;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.agent.CustomOperation;
import io.tedge.agent.OperationsDir;
import io.tedge.api.BusMessage;
import io.tedge.testkit.FakeBus;

class C8yOperationsTest {
    @TempDir
    Path dir;
    FakeBus bus = new FakeBus();
    C8yOperations ops;
    final List<String> puts = new ArrayList<>();
    boolean putFails;

    @BeforeEach
    void setUp() throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("device.id", "dev1");
        props.put("tedge.config.dir", dir.toString());
        props.put("c8y.url", "t1.c8y.example");
        props.put("data.path", dir.resolve("data").toString());
        props.put("logs.path", dir.resolve("logs").toString());
        Files.createDirectories(dir.resolve("operations/c8y"));
        Files.createDirectories(dir.resolve("c8y"));
        ops = new C8yOperations(bus, props, Clock.systemUTC());
        ops.http = new OperationsHttp() {
            @Override
            public String jwt() {
                return "JWT";
            }

            @Override
            public void updateDevice(byte[] json) throws IOException {
                if (putFails) throw new IOException("HTTP 500");
                puts.add(new String(json, StandardCharsets.UTF_8));
            }

            @Override
            public String uploadEventBinary(String type, String text, byte[] content) {
                throw new UnsupportedOperationException();
            }

            @Override
            public byte[] download(String url, long maxBytes) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static List<String> lines(List<BusMessage> ms) {
        List<String> out = new ArrayList<>();
        for (BusMessage m : ms) out.add(m.topic() + " " + m.text());
        return out;
    }

    private List<BusMessage> ds(String payload) {
        return ops.handle(BusMessage.of("c8y/s/ds", payload, 1));
    }

    @Test
    void registrationAtStart() throws Exception {
        Files.writeString(dir.resolve("operations/c8y/c8y_SoftwareUpdate"), "");
        Files.writeString(dir.resolve("operations/c8y/c8y_Restart"), "");
        Files.createDirectories(dir.resolve("device"));
        Files.writeString(dir.resolve("device/inventory.json"), "{\"c8y_Hardware\":{\"model\":\"rpi\"},\"c8y_Agent\":{\"name\":\"old\"}}");
        Files.writeString(dir.resolve("c8y/c8y-log-plugin.toml"), "files = [ { type = \"b\", path = \"/var/log/b\" }, { type = \"a\", path = \"/var/log/a*\" } ]");
        Files.writeString(dir.resolve("c8y/c8y-configuration-plugin.toml"), "files = [ { path = '/etc/x.conf', type = 'x' } ]");
        assertThat(lines(ops.init())).containsExactly(
                "c8y/inventory/managedObjects/update/dev1 {\"c8y_Hardware\":{\"model\":\"rpi\"},\"c8y_Agent\":{\"name\":\"thin-edge.io\",\"version\":\"0.12.0\",\"url\":\"https://thin-edge.io\"}}",
                "c8y/s/us 114,c8y_Restart,c8y_SoftwareUpdate\n",
                "c8y/inventory/managedObjects/update/dev1 {\"type\":\"thin-edge.io\"}",
                "c8y/s/us 118,a,b",
                "c8y/s/us 119,c8y-configuration-plugin,x",
                "c8y/s/us 500\n",
                "c8y/s/us 105");
    }

    @Test
    void changesAreSentAgain() throws Exception {
        ops.init();
        assertThat(ops.rescan()).isEmpty();
        Files.writeString(dir.resolve("operations/c8y/c8y_Command"), "");
        Files.createDirectories(dir.resolve("operations/c8y/child1"));
        Files.writeString(dir.resolve("operations/c8y/child1/c8y_Restart"), "");
        assertThat(lines(ops.rescan())).containsExactly("c8y/s/us 114,c8y_Command\n", "c8y/s/us 101,child1,child1,thin-edge.io-child",
                "c8y/s/us/child1 114,c8y_Restart\n");
        Files.delete(dir.resolve("operations/c8y/c8y_Command"));
        assertThat(lines(ops.rescan())).containsExactly("c8y/s/us 114\n");
        assertThat(lines(ds("106,child0"))).containsExactly("c8y/s/us 101,child1,child1,thin-edge.io-child", "c8y/s/us/child1 114,c8y_Restart\n");
        assertThat(lines(ds("106,child0,child1"))).containsExactly("c8y/s/us/child1 114,c8y_Restart\n");
    }

    @Test
    void childrenThereAtStartAreLeftToThe106Answer() throws Exception {
        Files.createDirectories(dir.resolve("operations/c8y/child1"));
        Files.writeString(dir.resolve("operations/c8y/child1/c8y_Restart"), "");
        assertThat(lines(ops.init())).noneMatch(l -> l.contains("101,") || l.startsWith("c8y/s/us/child1"));
        assertThat(ops.rescan()).isEmpty(); // e.g. the agent's retained health "up" before the 106 answer
        assertThat(lines(ds("106,child1"))).containsExactly("c8y/s/us/child1 114,c8y_Restart\n");
        assertThat(lines(ds("106"))).containsExactly("c8y/s/us 101,child1,child1,thin-edge.io-child", "c8y/s/us/child1 114,c8y_Restart\n");
    }

    @Test
    void restartRequestAndResponses() {
        List<BusMessage> out = ds("510,dev1");
        assertThat(out).hasSize(1);
        assertThat(out.get(0).topic()).isEqualTo("tedge/commands/req/control/restart");
        assertThat(out.get(0).text()).matches("\\{\"id\":\"[A-Za-z0-9_-]{21}\"\\}");
        assertThat(ds("510,other")).isEmpty();
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/control/restart", "{\"id\":\"1\",\"status\":\"executing\"}", 1))))
                .containsExactly("c8y/s/us 501,c8y_Restart\n");
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/control/restart", "{\"id\":\"1\",\"status\":\"successful\"}", 1))))
                .containsExactly("c8y/s/us 503,c8y_Restart,\n");
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/control/restart", "{\"id\":\"1\",\"status\":\"failed\"}", 1))))
                .containsExactly("c8y/s/us 502,c8y_Restart,\"Restart Failed\"\n");
    }

    @Test
    void softwareUpdateRequestAsThinEdgeMapsIt() throws Exception {
        List<BusMessage> out = ds("528,dev1,nodered,1.0.0::apt,https://t1.c8y.example/inventory/binaries/1,install,"
                + "x,::apt,,delete,y,2.0,https://evil.c8y.example/y,install,z,1.0::1::snap, ,install");
        String id = new ObjectMapper().readTree(out.get(0).payload()).get("id").asText();
        assertThat(out.get(0).topic()).isEqualTo("tedge/commands/req/software/update");
        assertThat(out.get(0).text()).isEqualTo("{\"id\":\"" + id + "\",\"updateList\":["
                + "{\"type\":\"apt\",\"modules\":[{\"name\":\"nodered\",\"version\":\"1.0.0\",\"url\":\"https://t1.c8y.example/inventory/binaries/1\",\"auth\":{\"bearer\":\"JWT\"},\"action\":\"install\"},"
                + "{\"name\":\"x\",\"action\":\"remove\"}]},"
                + "{\"type\":\"default\",\"modules\":[{\"name\":\"y\",\"version\":\"2.0\",\"url\":\"https://evil.c8y.example/y\",\"action\":\"install\"}]},"
                + "{\"type\":\"snap\",\"modules\":[{\"name\":\"z\",\"version\":\"1.0::1\",\"action\":\"install\"}]}]}");
        assertThat(lines(ds("528,dev1,x,1.0,,upgrade"))).containsExactly("c8y/s/us 501,c8y_SoftwareUpdate",
                "c8y/s/us 502,c8y_SoftwareUpdate,\"Parameter upgrade is not recognized. It must be install or delete.\"");
    }

    @Test
    void softwareResponses() {
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/software/update", "{\"id\":\"1\",\"status\":\"executing\"}", 1))))
                .containsExactly("c8y/s/us 501,c8y_SoftwareUpdate\n");
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/software/update", "{\"id\":\"1\",\"status\":\"successful\","
                + "\"currentSoftwareList\":[{\"type\":\"apt\",\"modules\":[{\"name\":\"a\",\"version\":\"1\"},{\"name\":\"b\"}]},"
                + "{\"type\":\"test\",\"modules\":[{\"name\":\"c\",\"version\":\"2\",\"url\":\"https://x/c\"}]}]}", 1))))
                .containsExactly("c8y/s/us 503,c8y_SoftwareUpdate,\n");
        assertThat(puts).containsExactly("{\"c8y_SoftwareList\":[{\"name\":\"a\",\"version\":\"1::apt\",\"url\":\"\"},"
                + "{\"name\":\"b\",\"version\":\"::apt\",\"url\":\"\"},{\"name\":\"c\",\"version\":\"2::test\",\"url\":\"https://x/c\"}]}");
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/software/update", "{\"id\":\"1\",\"status\":\"failed\","
                + "\"reason\":\"1 error(s), see \\\"log\\\"\"}", 1))))
                .containsExactly("c8y/s/us 502,c8y_SoftwareUpdate,\"1 error(s), see \"\"log\"\"\"\n");
        assertThat(puts).hasSize(1);
        putFails = true;
        assertThat(lines(ops.handle(BusMessage.of("tedge/commands/res/software/update", "{\"id\":\"1\",\"status\":\"successful\","
                + "\"currentSoftwareList\":[]}", 1)))).hasSize(1).allMatch(l -> l.startsWith("c8y/s/us 502,c8y_SoftwareUpdate,"));
        putFails = false;
        assertThat(ops.handle(BusMessage.of("tedge/commands/res/software/list", "{\"id\":\"2\",\"status\":\"successful\","
                + "\"currentSoftwareList\":[{\"type\":\"\",\"modules\":[]}]}", 1))).isEmpty();
        assertThat(puts).last().isEqualTo("{\"c8y_SoftwareList\":[]}");
    }

    private CustomOperation customOp(String name, String script, String extra) throws Exception {
        Path cmd = dir.resolve(name + ".sh");
        Files.writeString(cmd, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(cmd, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("operations/c8y").resolve(name), "[exec]\ntopic = \"c8y/s/ds\"\non_message = \"511\"\ncommand = \""
                + cmd + "\"\n" + extra);
        return OperationsDir.read(dir.resolve("operations/c8y")).custom().get(name);
    }

    @Test
    void customOperationsSucceedFailAndTimeOut() throws Exception {
        CustomOperation ok = customOp("c8y_Command", "printf 'said \"%s\"\\001\\n' \"$1\"", "");
        assertThat(lines(ops.executeCustom(ok, "511,dev1,hello", "id1"))).containsExactly("c8y/s/us 503,c8y_Command,\"said \"\"511,dev1,hello\"\"\n\"");
        assertThat(lines(bus.published)).containsExactly("c8y/s/us 501,c8y_Command");
        CustomOperation bad = customOp("c8y_Bad", "echo 'no such thing' >&2; exit 3", "");
        assertThat(lines(ops.executeCustom(bad, "511,dev1", "id2"))).containsExactly("c8y/s/us 502,c8y_Bad,\"no such thing\"");
        CustomOperation slow = customOp("c8y_Slow", "exec sleep 30", "timeout = 1\nforceful_timeout = 1\n");
        assertThat(lines(ops.executeCustom(slow, "511,dev1", "id3")))
                .containsExactly("c8y/s/us 502,c8y_Slow,\"operation failed due to timeout: duration=1s\"");
        assertThat(dir.resolve("data/agent")).isEmptyDirectory();
        try (var logs = Files.list(dir.resolve("logs/agent"))) {
            assertThat(logs.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("c8y_Command-"));
        }
    }

    @Test
    void agentUpCreatesItsOperationsAndAsksForTheList() throws Exception {
        ops.init();
        ops.onAgentHealth(BusMessage.of("tedge/health/tedge-agent", "{\"status\":\"up\",\"pid\":1,\"time\":2}", 1));
        List<String> out = lines(bus.published);
        assertThat(out.get(0)).isEqualTo("c8y/s/us 114,c8y_Restart,c8y_SoftwareUpdate\n");
        assertThat(out.get(1)).matches("tedge/commands/req/software/list \\{\"id\":\"[A-Za-z0-9_-]{21}\"\\}");
        assertThat(dir.resolve("operations/c8y/c8y_Restart")).exists();
    }

    @Test
    void smartRestText() {
        assertThat(SmartRestLines.lines("510,dev1\n511,dev1,\"a\nb\"\n\n")).containsExactly("510,dev1", "511,dev1,\"a\nb\"");
        assertThat(SmartRestLines.fields("511,dev1,\"ls -l, \"\"x\"\"\",")).containsExactly("511", "dev1", "ls -l, \"x\"", "");
        assertThat(SmartRestLines.sanitize("a\"b\u0007c\td", 100)).isEqualTo("a\"\"bc\td");
        assertThat(SmartRestLines.sanitize("ab\"", 3)).isEqualTo("ab");
    }
}
