package io.tedge.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.json.Json;
import io.tedge.json.JsonNode;
import io.tedge.json.ObjectNode;
import io.tedge.testkit.TestPki;

class SoftwareManagerTest {
    @TempDir
    Path dir;
    Path calls;
    Path installed;
    Settings settings;

    /** A plug-in that keeps its packages in a TSV file and records every call. */
    static String plugin(Path calls, Path installed, boolean updateList) {
        return "#!/bin/sh\n"
                + "echo \"$*\" >> " + calls + "\n"
                + "cmd=$1; shift\n"
                + "case $cmd in\n"
                + "  list) cat " + installed + " 2>/dev/null; exit 0 ;;\n"
                + "  prepare|finalize) exit 0 ;;\n"
                + "  update-list) " + (updateList ? "cat >> " + calls + "; exit 0" : "exit 1") + " ;;\n"
                + "  install) name=$1; ver=''; file=''; shift\n"
                + "    while [ $# -gt 0 ]; do case $1 in --module-version) ver=$2; shift 2;; --file) file=$2; shift 2;; *) shift;; esac; done\n"
                + "    if [ \"$name\" = bad ]; then echo \"cannot install bad\" >&2; exit 2; fi\n"
                + "    if [ \"$name\" = slow ]; then exec sleep 60; fi\n"
                + "    if [ -n \"$file\" ]; then echo \"file content: $(cat \"$file\")\" >> " + calls + "; fi\n"
                + "    printf '%s\\t%s\\n' \"$name\" \"$ver\" >> " + installed + "; exit 0 ;;\n"
                + "  remove) grep -v \"^$1\t\" " + installed + " > " + installed + ".new; mv " + installed + ".new " + installed + "; exit 0 ;;\n"
                + "esac\n"
                + "exit 1\n";
    }

    static Path write(Path p, String text) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    static Settings settings(Path dir, Duration timeout, int max, List<String> tenantHosts, Path roots) {
        return new Settings(dir.resolve("etc"), dir.resolve("data"), dir.resolve("logs"), dir.resolve("tmp"), null, max,
                timeout, List.of(), tenantHosts, roots);
    }

    @BeforeEach
    void setUp() throws Exception {
        calls = dir.resolve("calls");
        installed = dir.resolve("installed.tsv");
        Files.writeString(installed, "b\t2.0\nc\n");
        settings = settings(dir, Duration.ofSeconds(30), 1000, List.of(), null);
        write(settings.pluginDir().resolve("testpkg"), plugin(calls, installed, false));
    }

    private SoftwareManager manager(Settings s) {
        return new SoftwareManager(s, Clock.systemUTC(), () -> new Downloader(s, Duration.ofSeconds(10), 10));
    }

    private static JsonNode json(String s) throws Exception {
        return Json.parse(s);
    }

    @Test
    void listReportsEveryPluginsModules() throws Exception {
        ObjectNode res = manager(settings).list("L1");
        assertThat(res.toString()).isEqualTo("{\"id\":\"L1\",\"status\":\"successful\",\"currentSoftwareList\":"
                + "[{\"type\":\"testpkg\",\"modules\":[{\"name\":\"b\",\"version\":\"2.0\"},{\"name\":\"c\"}]}]}");
    }

    @Test
    void listWithoutPlugins() throws Exception {
        Files.delete(settings.pluginDir().resolve("testpkg"));
        assertThat(manager(settings).list("L2").get("currentSoftwareList").toString()).isEqualTo("[{\"type\":\"\",\"modules\":[]}]");
    }

    @Test
    void listIsCutToMaxPackages() throws Exception {
        Settings s = settings(dir, Duration.ofSeconds(30), 1, List.of(), null);
        assertThat(manager(s).list("L3").at("/currentSoftwareList/0/modules").size()).isEqualTo(1);
    }

    @Test
    void updateFallsBackToInstallAndRemoveWhenUpdateListIsNotSupported() throws Exception {
        ObjectNode res = manager(settings).update(json("{\"id\":\"U1\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":["
                + "{\"name\":\"a\",\"version\":\"1.0\",\"action\":\"install\"},{\"name\":\"b\",\"action\":\"remove\"}]}]}"));
        assertThat(res.get("status").asText()).isEqualTo("successful");
        assertThat(res.has("failures")).isFalse();
        assertThat(res.get("currentSoftwareList").toString())
                .isEqualTo("[{\"type\":\"testpkg\",\"modules\":[{\"name\":\"c\"},{\"name\":\"a\",\"version\":\"1.0\"}]}]");
        assertThat(Files.readAllLines(calls)).containsExactly("list", "prepare", "update-list", "install a --module-version 1.0",
                "remove b", "finalize", "list");
    }

    @Test
    void updateListGetsOneTsvLinePerModule() throws Exception {
        write(settings.pluginDir().resolve("testpkg"), plugin(calls, installed, true));
        ObjectNode res = manager(settings).update(json("{\"id\":\"U2\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":["
                + "{\"name\":\"a\",\"version\":\"1.0\",\"action\":\"install\"},{\"name\":\"b\",\"action\":\"remove\"}]}]}"));
        assertThat(res.get("status").asText()).isEqualTo("successful");
        assertThat(Files.readAllLines(calls)).containsExactly("list", "prepare", "update-list", "install\ta\t1.0\t",
                "remove\tb\t\t", "finalize", "list");
    }

    @Test
    void aFailingModuleIsReportedWithThePluginsStderr() throws Exception {
        ObjectNode res = manager(settings).update(json("{\"id\":\"U3\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":["
                + "{\"name\":\"bad\",\"version\":\"9\",\"action\":\"install\"},{\"name\":\"a\",\"action\":\"install\"}]}]}"));
        assertThat(res.get("status").asText()).isEqualTo("failed");
        assertThat(res.get("failures").toString()).isEqualTo("[{\"type\":\"testpkg\",\"modules\":[{\"name\":\"bad\",\"version\":\"9\","
                + "\"action\":\"install\",\"reason\":\"cannot install bad\"}]}]");
        String reason = res.get("reason").asText();
        assertThat(reason).startsWith("1 error(s), see device log file " + settings.operationLogs().resolve("software-update-"));
        Path log = Path.of(reason.substring(reason.indexOf("file ") + 5));
        assertThat(log).exists();
        assertThat(Files.readString(log)).contains("cannot install bad", "install bad --module-version 9");
        assertThat(res.get("currentSoftwareList").toString()).contains("{\"name\":\"a\"}");
    }

    @Test
    void unknownTypeAndInvalidNamesFailWithoutRunningAPlugin() throws Exception {
        ObjectNode res = manager(settings).update(json("{\"id\":\"U4\",\"updateList\":["
                + "{\"type\":\"nosuch\",\"modules\":[{\"name\":\"a\",\"action\":\"install\"}]},"
                + "{\"type\":\"testpkg\",\"modules\":[{\"name\":\"-oAPT::Update::Pre-Invoke::=touch /tmp/x\",\"action\":\"install\"}]}]}"));
        assertThat(res.get("status").asText()).isEqualTo("failed");
        assertThat(res.get("reason").asText()).startsWith("2 error(s)");
        assertThat(res.get("failures").toString()).isEqualTo("[{\"type\":\"nosuch\",\"modules\":[]},{\"type\":\"testpkg\",\"modules\":[]}]");
        assertThat(Files.readAllLines(calls)).containsExactly("list", "list");
    }

    @Test
    void defaultTypeIsTheOnlyPlugin() throws Exception {
        ObjectNode res = manager(settings).update(json("{\"id\":\"U5\",\"updateList\":[{\"type\":\"default\",\"modules\":["
                + "{\"name\":\"d\",\"action\":\"install\"}]}]}"));
        assertThat(res.get("status").asText()).isEqualTo("successful");
        assertThat(Files.readAllLines(calls)).contains("install d");
    }

    @Test
    void aPluginCallThatTakesTooLongIsStoppedAndReported() throws Exception {
        Settings s = settings(dir, Duration.ofSeconds(1), 1000, List.of(), null);
        ObjectNode res = manager(s).update(json("{\"id\":\"U6\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":["
                + "{\"name\":\"slow\",\"action\":\"install\"}]}]}"));
        assertThat(res.get("status").asText()).isEqualTo("failed");
        assertThat(res.at("/failures/0/modules/0/reason").asText())
                .isEqualTo("The plug-in testpkg install did not finish within 1 s (software.plugin.timeout) and was stopped");
    }

    @Test
    void downloadsGoToTheInstallAndTheJwtOnlyToTheTenant() throws Exception {
        TestPki pki = TestPki.create("downloads");
        Path roots = pki.writeCaPem(dir.resolve("ca.pem"));
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(pki.serverContext(null)));
        List<String> auth = new CopyOnWriteArrayList<>();
        server.createContext("/inventory/binaries/", ex -> {
            auth.add(ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("Authorization"));
            byte[] body = ("binary " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            Settings s = settings(dir, Duration.ofSeconds(30), 1000, List.of("localhost"), roots);
            ObjectNode res = manager(s).update(json("{\"id\":\"U7\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":["
                    + "{\"name\":\"m1\",\"version\":\"1\",\"url\":\"https://localhost:" + port + "/inventory/binaries/1\",\"auth\":{\"bearer\":\"JWT1\"},\"action\":\"install\"},"
                    + "{\"name\":\"m2\",\"url\":\"https://127.0.0.1:" + port + "/inventory/binaries/2\",\"auth\":{\"bearer\":\"JWT2\"},\"action\":\"install\"}]}]}"));
            assertThat(res.get("status").asText()).as(res.toString()).isEqualTo("successful");
            assertThat(auth).containsExactly("/inventory/binaries/1 Bearer JWT1", "/inventory/binaries/2 null");
            assertThat(Files.readAllLines(calls)).contains(
                    "install m1 --module-version 1 --file " + s.tmpPath().resolve("m1_1"),
                    "file content: binary /inventory/binaries/1",
                    "install m2 --file " + s.tmpPath().resolve("m2"),
                    "file content: binary /inventory/binaries/2");
            assertThat(s.tmpPath().resolve("m1_1")).doesNotExist();
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aFailedDownloadFailsItsType() throws Exception {
        Settings s = settings(dir, Duration.ofSeconds(30), 1000, List.of(), null);
        ObjectNode res = manager(s).update(json("{\"id\":\"U8\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":["
                + "{\"name\":\"m1\",\"url\":\"http://127.0.0.1:1/x\",\"action\":\"install\"}]}]}"));
        assertThat(res.get("status").asText()).isEqualTo("failed");
        assertThat(Files.readAllLines(calls)).doesNotContain("install m1");
    }

    @Test
    void fileNamesOfDownloadsAreSafe() {
        assertThat(SoftwareManager.fileName("../../etc/passwd", null)).isEqualTo("_.._.._etc_passwd");
        assertThat(SoftwareManager.fileName("nodered", "1.0:2")).isEqualTo("nodered_1.0_2");
    }
}
