package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.C8yMqttStandIn.SmartRestLine;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * Device management from Cumulocity end to end (issue 12): the built container connected to the
 * Cumulocity stand-ins (MQTT and HTTPS), operations sent on {@code s/ds} as the cloud would, the
 * status lines and REST calls recorded there. One container is shared by the scenarios, in order:
 * registration, a software update with a test plug-in (module downloaded from the tenant with the
 * JWT, the list PUT with {@code ::type} versions) and a failing one, the real apt plug-in (on
 * Debian as root: installs and removes {@code hello}), configuration upload and
 * download, a log request, custom operations that succeed, fail and time out, a restart whose
 * test reboot command restarts the container, and a restart of the container while a software
 * update runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class C8yOperationsIT {
    static final Duration T = Duration.ofSeconds(60);
    static final String DEVICE = "dev-ops";
    @TempDir
    static Path dir;
    static C8yMqttStandIn cloud;
    static C8yHttpStandIn rest;
    static Path cfg;
    static Agent agent;

    @BeforeAll
    static void connect() throws Exception {
        TestPki pki = TestPki.create("c8y-ops-ca");
        LiveTrust trust = new LiveTrust();
        cloud = C8yMqttStandIn.start(pki, trust);
        rest = C8yHttpStandIn.start(pki, trust, "secret");
        rest.setTokenCheck(C8yOperationsIT::validJwt);
        cfg = dir.resolve("cfg");
        Path ca = pki.writeCaPem(dir.resolve("c8y-root.pem"));
        new Agent(cfg);
        Agent.useC8yStandIns(cfg, cloud.hostPort(), rest.hostPort(), ca, "tmp.path", cfg.resolve("tmp").toString());
        Files.createDirectories(cfg.resolve("tmp"));
        prepareFiles();
        Agent.createAndUploadC8yCert(cfg, DEVICE, "secret");
        agent = new Agent(cfg, Agent.mqttPort(cfg)).startAndWait();
        Agent.await("the c8y connector in tedge plugins", T, () -> {
            try {
                return agent.tedge("plugins").out().matches("(?s).*connector +c8y .*ACTIVE.*");
            } catch (Exception e) {
                return false;
            }
        });
        C8yIT.ok(agent.tedge("connect", "c8y"));
        cloud.awaitConnected(DEVICE, T);
        // the agent puts its apt plug-in in a new sm-plugins folder (on Debian); plug-ins are found again for each operation
        Agent.await("the apt plug-in installed", T, () -> Files.isExecutable(cfg.resolve("sm-plugins/apt")));
        Files.copy(dir.resolve("test-plugin"), cfg.resolve("sm-plugins/test"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    }

    @AfterAll
    static void close() throws Exception {
        if (agent != null) agent.close();
        if (cloud != null) cloud.close();
        if (rest != null) rest.close();
    }

    static boolean validJwt(String token) {
        try {
            return cloud.jwtClaims(token).get("sub").equals("device_" + DEVICE);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The test plug-in, configuration and log plug-in files, custom operations and the test reboot command. */
    private static void prepareFiles() throws Exception {
        // a plug-in keeping its packages in a file; an installed file is kept as installed-<name>; "slow" takes minutes, "bad" fails
        Path db = cfg.resolve("packages.tsv");
        Files.writeString(db, "base\t1.0\n");
        script(dir.resolve("test-plugin"), "cmd=$1; shift\ncase $cmd in\n"
                + "  list) cat " + db + " ;;\n  prepare|finalize) ;;\n  update-list) exit 1 ;;\n"
                + "  install) [ \"$1\" = bad ] && { echo 'bad is broken' >&2; exit 2; }\n"
                + "    [ \"$1\" = slow ] && exec sleep 120\n"
                + "    n=$1; v=''; [ \"$2\" = --module-version ] && { v=$3; shift 2; }\n"
                + "    [ \"$2\" = --file ] && cp \"$3\" " + cfg + "/installed-$n\n"
                + "    printf '%s\\t%s\\n' \"$n\" \"$v\" >> " + db + " ;;\n"
                + "  remove) grep -v \"^$1\t\" " + db + " > " + db + ".n; mv " + db + ".n " + db + " ;;\n"
                + "  *) exit 1 ;;\nesac\n");
        Files.writeString(cfg.resolve("app.conf"), "level = info\n");
        Files.createDirectories(cfg.resolve("c8y"));
        String user = System.getProperty("user.name");
        String group = Files.readAttributes(cfg.resolve("app.conf"), PosixFileAttributes.class).group().getName();
        Files.writeString(cfg.resolve("c8y/c8y-configuration-plugin.toml"), "files = [ { path = '" + cfg.resolve("app.conf")
                + "', type = 'app', user = '" + user + "', group = '" + group + "', mode = 0o600 } ]\n");
        Path logs = Files.createDirectories(dir.resolve("applogs"));
        Files.writeString(logs.resolve("app-1.log"), "one start\none error early\n");
        Files.setLastModifiedTime(logs.resolve("app-1.log"), FileTime.from(Instant.parse("2022-03-01T10:00:00Z")));
        Files.writeString(logs.resolve("app-2.log"), "two start\ntwo error disk full\ntwo info\ntwo error disk gone\n");
        Files.setLastModifiedTime(logs.resolve("app-2.log"), FileTime.from(Instant.parse("2022-03-02T10:00:00Z")));
        Files.writeString(logs.resolve("app-3.log"), "three error later\n");
        Files.setLastModifiedTime(logs.resolve("app-3.log"), FileTime.from(Instant.parse("2022-03-03T10:00:00Z")));
        Files.writeString(cfg.resolve("c8y/c8y-log-plugin.toml"), "files = [ { type = \"app\", path = \"" + logs + "/app-*.log\" } ]\n");
        Path ops = Files.createDirectories(cfg.resolve("operations/c8y"));
        // a child device known before the first connect, with one operation
        Files.createDirectories(ops.resolve("child1"));
        Files.writeString(ops.resolve("child1/c8y_Restart"), "");
        custom(ops, "custom_ok", "600", script(dir.resolve("ok.sh"), "echo \"did it\""), "");
        custom(ops, "custom_fail", "601", script(dir.resolve("fail.sh"), "echo 'cannot do it' >&2\nexit 3"), "");
        custom(ops, "custom_slow", "602", script(dir.resolve("slow.sh"), "exec sleep 120"), "timeout = 1\nforceful_timeout = 1\n");
        // the test's "reboot": as a real one, the tmp folder is emptied and the container is stopped
        Path reboot = script(dir.resolve("reboot.sh"), "rm -f " + cfg.resolve("tmp") + "/tedge_agent_restart\n"
                + "touch " + dir.resolve("rebooted") + "\nkill -TERM $PPID\n");
        Files.writeString(cfg.resolve("system.toml"), "[system]\nreboot = [\"" + reboot + "\"]\n");
    }

    private static Path script(Path p, String body) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private static void custom(Path ops, String name, String template, Path command, String extra) throws Exception {
        Files.writeString(ops.resolve(name), "[exec]\ntopic = \"c8y/s/ds\"\non_message = \"" + template + "\"\ncommand = \"" + command + "\"\n" + extra);
    }

    /** The first line from the device received at or after index {@code from} that matches. */
    private static SmartRestLine after(int from, Predicate<String> match) throws InterruptedException {
        return after(from, T, match);
    }

    private static SmartRestLine after(int from, Duration timeout, Predicate<String> match) throws InterruptedException {
        SmartRestLine[] found = new SmartRestLine[1];
        try {
            Agent.await("a SmartREST line that matches", timeout, () -> {
                List<SmartRestLine> all = cloud.smartRestLines();
                for (SmartRestLine l : all.subList(Math.min(from, all.size()), all.size())) {
                    if (l.device().equals(DEVICE) && l.child() == null && match.test(l.line())) {
                        found[0] = l;
                        return true;
                    }
                }
                return false;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; lines: " + cloud.smartRestLines().subList(Math.min(from, cloud.smartRestLines().size()),
                    cloud.smartRestLines().size()), e);
        }
        return found[0];
    }

    private static int mark() {
        return cloud.smartRestLines().size();
    }

    /** {@code <name> <version>} of the modules of a type in the device's c8y_SoftwareList, as the last PUT left it. */
    private static List<String> software(String type) {
        Object l = rest.managedObject(rest.idOf(DEVICE)).get("c8y_SoftwareList");
        List<String> out = new java.util.ArrayList<>();
        if (l instanceof List<?> modules) {
            for (Object o : modules) {
                Map<?, ?> m = (Map<?, ?>) o;
                String v = String.valueOf(m.get("version"));
                if (v.endsWith("::" + type)) out.add(m.get("name") + " " + v.substring(0, v.length() - type.length() - 2));
            }
        }
        return out;
    }

    private static long puts() {
        return rest.requests().stream().filter(r -> r.method().equals("PUT")).count();
    }

    @Test
    @Order(1)
    void registrationAdvertisesTheOperationsAndSendsTheSoftwareList() throws Exception {
        after(0, l -> l.equals("114,c8y_DownloadConfigFile,c8y_LogfileRequest,c8y_Restart,c8y_SoftwareUpdate,c8y_UploadConfigFile,"
                + "custom_fail,custom_ok,custom_slow"));
        after(0, l -> l.equals("118,app"));
        after(0, l -> l.equals("119,app,c8y-configuration-plugin"));
        // once the agent is up, its software list goes to the device's managed object over HTTPS
        Agent.await("the software list PUT", T, () -> software("apt").stream().anyMatch(m -> m.startsWith("dpkg ")));
        C8yHttpStandIn.Request put = rest.requests().stream().filter(r -> r.method().equals("PUT")).findFirst().orElseThrow();
        assertThat(put.path()).isEqualTo("/inventory/managedObjects/" + rest.idOf(DEVICE));
        assertThat(validJwt(put.header("Authorization").substring("Bearer ".length()))).isTrue();
    }

    @Test
    @Order(2)
    void aSoftwareUpdateWithATestPluginThenAFailingOne() throws Exception {
        Agent.await("the first software list", T, () -> !software("apt").isEmpty());
        String url = rest.putBinary("nodered module\n".getBytes(StandardCharsets.UTF_8));
        int from = mark();
        assertThat(cloud.sendOperation(DEVICE, "528," + DEVICE + ",nodered,1.0.0::test," + url + ",install,base,::test,,delete")).isTrue();
        after(from, l -> l.equals("501,c8y_SoftwareUpdate"));
        after(from, l -> l.equals("503,c8y_SoftwareUpdate,"));
        assertThat(software("test")).containsExactly("nodered 1.0.0");
        assertThat(software("apt")).anyMatch(m -> m.startsWith("dpkg "));
        // the module came from the tenant, with the device's JWT
        C8yHttpStandIn.Request get = rest.requests().stream().filter(r -> url.endsWith(r.path())).findFirst().orElseThrow();
        assertThat(validJwt(get.header("Authorization").substring("Bearer ".length()))).isTrue();
        assertThat(cfg.resolve("installed-nodered")).hasContent("nodered module");

        long putsBefore = puts();
        from = mark();
        assertThat(cloud.sendOperation(DEVICE, "528," + DEVICE + ",bad,2.0::test,,install")).isTrue();
        after(from, l -> l.equals("501,c8y_SoftwareUpdate"));
        SmartRestLine failed = after(from, l -> l.startsWith("502,c8y_SoftwareUpdate,"));
        assertThat(failed.line()).startsWith("502,c8y_SoftwareUpdate,\"1 error(s), see device log file " + cfg.resolve("logs/agent/software-update-"));
        assertThat(puts()).isEqualTo(putsBefore);
        assertThat(software("test")).containsExactly("nodered 1.0.0");
    }

    /** On CI (root, Debian): the shipped apt plug-in installs and removes a small package for Cumulocity. */
    @Test
    @Order(3)
    void theAptPluginInstallsAndRemovesAPackage() throws Exception {
        int from = mark();
        assertThat(cloud.sendOperation(DEVICE, "528," + DEVICE + ",hello,::apt,,install")).isTrue();
        after(from, l -> l.equals("501,c8y_SoftwareUpdate"));
        assertThat(after(from, Duration.ofSeconds(600), l -> l.startsWith("503,c8y_SoftwareUpdate,") || l.startsWith("502,c8y_SoftwareUpdate,"))
                .line()).isEqualTo("503,c8y_SoftwareUpdate,"); // a failure (502) fails the test at once, with its reason
        assertThat(software("apt")).anyMatch(m -> m.startsWith("hello ") && m.length() > "hello ".length());
        assertThat(Agent.exec(List.of("dpkg-query", "-W", "hello"), Duration.ofSeconds(30)).code()).isZero();

        from = mark();
        assertThat(cloud.sendOperation(DEVICE, "528," + DEVICE + ",hello,::apt,,delete")).isTrue();
        after(from, l -> l.equals("501,c8y_SoftwareUpdate"));
        assertThat(after(from, Duration.ofSeconds(600), l -> l.startsWith("503,c8y_SoftwareUpdate,") || l.startsWith("502,c8y_SoftwareUpdate,"))
                .line()).isEqualTo("503,c8y_SoftwareUpdate,"); // a failure (502) fails the test at once, with its reason
        assertThat(software("apt")).noneMatch(m -> m.startsWith("hello "));
        assertThat(software("test")).containsExactly("nodered 1.0.0");
    }

    @Test
    @Order(4)
    void configurationUploadAndDownload() throws Exception {
        int from = mark();
        assertThat(cloud.sendOperation(DEVICE, "526," + DEVICE + ",app")).isTrue();
        after(from, l -> l.equals("501,c8y_UploadConfigFile"));
        String done = after(from, l -> l.startsWith("503,c8y_UploadConfigFile,")).line();
        assertThat(done).matches("503,c8y_UploadConfigFile,https://127\\.0\\.0\\.1:" + rest.port() + "/event/events/\\d+/binaries");
        assertThat(new String(rest.binary(done.substring(done.indexOf("/event/"))), StandardCharsets.UTF_8)).isEqualTo("level = info\n");

        Files.setPosixFilePermissions(cfg.resolve("app.conf"), PosixFilePermissions.fromString("rw-rw-rw-"));
        String url = rest.putBinary("level = debug\n".getBytes(StandardCharsets.UTF_8));
        try (Local app = new Local(agent.port, "config-watch").subscribe("tedge/configuration_change/app")) {
            from = mark();
            assertThat(cloud.sendOperation(DEVICE, "524," + DEVICE + "," + url + ",app")).isTrue();
            after(from, l -> l.equals("501,c8y_DownloadConfigFile"));
            after(from, l -> l.equals("503,c8y_DownloadConfigFile,"));
            assertThat(app.await("tedge/configuration_change/app", 30))
                    .isEqualTo("tedge/configuration_change/app {\"path\":\"" + cfg.resolve("app.conf") + "\"}");
        }
        assertThat(cfg.resolve("app.conf")).hasContent("level = debug");
        PosixFileAttributes a = Files.readAttributes(cfg.resolve("app.conf"), PosixFileAttributes.class);
        assertThat(PosixFilePermissions.toString(a.permissions())).isEqualTo("rw-------");
        assertThat(a.owner().getName()).isEqualTo(System.getProperty("user.name"));
        C8yHttpStandIn.Request get = rest.requests().stream().filter(r -> url.endsWith(r.path())).findFirst().orElseThrow();
        assertThat(validJwt(get.header("Authorization").substring("Bearer ".length()))).isTrue();

        // an unknown type: the file stays, the reason is upstream's
        from = mark();
        assertThat(cloud.sendOperation(DEVICE, "524," + DEVICE + "," + url + ",nope")).isTrue();
        after(from, l -> l.equals("502,c8y_DownloadConfigFile,\"The requested config_type nope is not defined in the plugin configuration file.\""));
    }

    @Test
    @Order(5)
    void aLogRequestWithADateRangeAndASearchText() throws Exception {
        int from = mark();
        assertThat(cloud.sendOperation(DEVICE, "522," + DEVICE + ",app,2022-03-02T00:00:00+0100,2022-03-03T00:00:00+0100,disk,10")).isTrue();
        after(from, l -> l.equals("501,c8y_LogfileRequest"));
        String done = after(from, l -> l.startsWith("503,c8y_LogfileRequest,")).line();
        assertThat(new String(rest.binary(done.substring(done.indexOf("/event/"))), StandardCharsets.UTF_8))
                .isEqualTo("filename: app-2.log\ntwo error disk full\ntwo error disk gone\n");
    }

    @Test
    @Order(6)
    void customOperationsSucceedFailAndTimeOut() throws Exception {
        int from = mark();
        assertThat(cloud.sendOperation(DEVICE, "600," + DEVICE + ",go")).isTrue();
        assertThat(cloud.sendOperation(DEVICE, "601," + DEVICE)).isTrue();
        assertThat(cloud.sendOperation(DEVICE, "602," + DEVICE)).isTrue();
        after(from, l -> l.equals("501,custom_ok"));
        after(from, l -> l.equals("501,custom_fail"));
        after(from, l -> l.equals("501,custom_slow"));
        assertThat(after(from, l -> l.startsWith("503,custom_ok,")).line()).isEqualTo("503,custom_ok,\"did it\n\"");
        after(from, l -> l.equals("502,custom_fail,\"cannot do it\""));
        after(from, l -> l.equals("502,custom_slow,\"operation failed due to timeout: duration=1s\""));
    }

    @Test
    @Order(7)
    void aRestartWhoseRebootCommandRestartsTheContainer() throws Exception {
        int from = mark();
        assertThat(cloud.sendOperation(DEVICE, "510," + DEVICE)).isTrue();
        after(from, l -> l.equals("501,c8y_Restart"));
        assertThat(agent.process().waitFor(60, TimeUnit.SECONDS)).as("the reboot command stopped the container").isTrue();
        assertThat(dir.resolve("rebooted")).exists();
        agent.startAndWait();
        after(from, l -> l.equals("503,c8y_Restart,"));
        // the state survived: the software list is the one after the update
        assertThat(software("test")).containsExactly("nodered 1.0.0");
        Agent.await("no operation in flight", T, () -> {
            try {
                return Agent.run(cfg, "operations").out().endsWith("  none\n");
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    @Order(8)
    void aRestartOfTheContainerDuringASoftwareUpdateReportsItFailed() throws Exception {
        int from = mark();
        assertThat(cloud.sendOperation(DEVICE, "528," + DEVICE + ",slow,1.0::test,,install")).isTrue();
        after(from, l -> l.equals("501,c8y_SoftwareUpdate"));
        agent.terminate();
        agent.startAndWait();
        assertThat(after(from, l -> l.startsWith("502,c8y_SoftwareUpdate,")).line())
                .startsWith("502,c8y_SoftwareUpdate,\"tedge-agent was stopped while the software update was executing");
    }

    /** Lines received from a child device of this device ({@code c8y/s/us/<child>}). */
    private static List<String> childLines(String child) {
        return cloud.smartRestLines().stream().filter(l -> l.device().equals(DEVICE) && child.equals(l.child()))
                .map(SmartRestLine::line).toList();
    }

    /**
     * Child devices: the one whose folder was there at connect was created in the cloud
     * ({@code 101}) and got its operations ({@code 114} on {@code c8y/s/us/<child>}); a folder made
     * while connected does the same; after a restart the cloud's {@code 106} list makes the mapper
     * send each child's operations again, without creating them twice.
     */
    /**
     * Waits until the mapper has handled every {@code 106} the cloud sent (each answer sends
     * child1's {@code 114}): a restart before that would handle the last one again after it,
     * as it should (at least once), with a {@code 101} for a child made in between.
     */
    private static void awaitEvery106Handled() throws InterruptedException {
        Agent.await("every 106 handled", T, () -> childLines("child1").stream().filter("114,c8y_Restart"::equals).count()
                >= cloud.sent().stream().filter(s -> s.payload().startsWith("106")).count());
    }

    @Test
    @Order(9)
    void childDevicesAreCreatedWithTheirOperations() throws Exception {
        after(0, l -> l.equals("101,child1,child1,thin-edge.io-child"));
        awaitEvery106Handled(); // the restarts above each had one
        assertThat(cloud.children(DEVICE)).contains("child1");

        int from = mark();
        Path child2 = Files.createDirectories(cfg.resolve("operations/c8y/child2"));
        Files.writeString(child2.resolve("c8y_LogfileRequest"), "");
        Files.writeString(child2.resolve("c8y_Restart"), "");
        after(from, l -> l.equals("101,child2,child2,thin-edge.io-child"));
        Agent.await("114 of child2", T, () -> childLines("child2").contains("114,c8y_LogfileRequest,c8y_Restart"));
        assertThat(cloud.children(DEVICE)).contains("child1", "child2");

        // a restart: 105 is answered with 106,child1,child2; both children get their 114 again, no new 101
        awaitEvery106Handled();
        int child1Before = childLines("child1").size();
        int child2Before = childLines("child2").size();
        from = mark();
        agent.terminate();
        agent.startAndWait();
        after(from, l -> l.equals("105"));
        Agent.await("114 of both children again", T, () -> childLines("child1").size() > child1Before && childLines("child2").size() > child2Before);
        awaitEvery106Handled();
        assertThat(childLines("child1").subList(child1Before, childLines("child1").size())).containsOnly("114,c8y_Restart");
        assertThat(childLines("child2").subList(child2Before, childLines("child2").size())).containsOnly("114,c8y_LogfileRequest,c8y_Restart");
        assertThat(cloud.smartRestLines().subList(from, mark())).noneMatch(l -> l.line().startsWith("101,"));
    }
}
