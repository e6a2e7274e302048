package io.tedge.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.agent.BoundedProcess;

/** The shipped apt plug-in, with apt-get and dpkg-query stand-ins that record their arguments. */
class AptPluginTest {
    @TempDir
    Path dir;
    Path apt;
    Path bin;
    Path calls;

    @BeforeEach
    void setUp() throws Exception {
        apt = dir.resolve("sm-plugins").resolve("apt");
        AptPlugin.install(apt);
        bin = dir.resolve("bin");
        calls = dir.resolve("calls");
        SoftwareManagerTest.write(bin.resolve("apt-get"), "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\" >> " + calls
                + "; done\necho >> " + calls + "\n[ \"$FAIL\" = 1 ] && { echo 'E: Unable to locate package' >&2; exit 100; }\nexit 0\n");
        SoftwareManagerTest.write(bin.resolve("dpkg-query"), "#!/bin/sh\nprintf 'bash\\t5.2\\tinstall ok installed\\n"
                + "gone\\t1.0\\tdeinstall ok config-files\\nlibc6\\t2.36-9\\tinstall ok installed\\n'\n");
    }

    private BoundedProcess.Result run(String stdin, Map<String, String> env, String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of(apt.toString()));
        argv.addAll(List.of(args));
        java.util.HashMap<String, String> e = new java.util.HashMap<>(env);
        e.put("PATH", bin + ":/usr/bin:/bin");
        return BoundedProcess.run(BoundedProcess.Spec.of(argv, Duration.ofSeconds(30)).withEnv(e)
                .withStdin(stdin == null ? null : stdin.getBytes(StandardCharsets.UTF_8)));
    }

    private String calls() throws Exception {
        return Files.exists(calls) ? Files.readString(calls) : "";
    }

    @Test
    void listShowsInstalledPackagesOnly() throws Exception {
        BoundedProcess.Result r = run(null, Map.of(), "list");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdoutText()).isEqualTo("bash\t5.2\nlibc6\t2.36-9\n");
    }

    @Test
    void commandLinesAsUpstreamPlusTheLockWait() throws Exception {
        assertThat(run(null, Map.of(), "prepare").exitCode()).isZero();
        assertThat(run(null, Map.of(), "install", "jq", "--module-version", "1.6-2.1").exitCode()).isZero();
        assertThat(run(null, Map.of(), "install", "jq").exitCode()).isZero();
        Path deb = Files.writeString(dir.resolve("jq_1.6.deb"), "deb");
        assertThat(run(null, Map.of(), "install", "jq", "--file", deb.toString()).exitCode()).isZero();
        assertThat(run(null, Map.of(), "remove", "jq", "--module-version", "1.6").exitCode()).isZero();
        assertThat(run("install\tjq\t1.6\t\nremove\tcurl\t\t\ninstall\txy\t\t" + deb + "\n", Map.of(), "update-list").exitCode()).isZero();
        assertThat(run(null, Map.of(), "finalize").exitCode()).isZero();
        String lock = "[-o][DPkg::Lock::Timeout=120]"; // waits for another apt or dpkg instead of failing
        assertThat(calls()).isEqualTo(lock + "[update][--quiet][--yes]\n"
                + lock + "[install][--quiet][--yes][--allow-downgrades][jq=1.6-2.1]\n"
                + lock + "[install][--quiet][--yes][--allow-downgrades][jq]\n"
                + lock + "[install][--quiet][--yes][--allow-downgrades][" + deb + "]\n"
                + lock + "[remove][--quiet][--yes][jq=1.6]\n"
                + lock + "[install][--quiet][--yes][--allow-downgrades][jq=1.6][curl-][" + deb + "]\n"
                + lock + "[auto-remove][--quiet][--yes]\n");
    }

    @Test
    void namesThatCouldBeOptionsOrCommandsAreRefused() throws Exception {
        for (String bad : new String[] {"-oAPT::Update::Pre-Invoke::=touch /tmp/x", "jq; rm -rf /", "$(id)", "JQ", ""}) {
            BoundedProcess.Result r = run(null, Map.of(), "install", bad);
            assertThat(r.exitCode()).as(bad).isEqualTo(1);
            assertThat(r.stderrText()).as(bad).contains("Invalid package name");
        }
        assertThat(run(null, Map.of(), "install", "jq", "--module-version", "--yes").exitCode()).isEqualTo(1);
        assertThat(run("install\t-oX=1\t\t\n", Map.of(), "update-list").exitCode()).isEqualTo(1);
        assertThat(calls()).isEmpty();
    }

    @Test
    void exitCodes() throws Exception {
        assertThat(run(null, Map.of(), "frobnicate").exitCode()).isEqualTo(1);
        assertThat(run(null, Map.of(), "install").exitCode()).isEqualTo(1);
        BoundedProcess.Result r = run(null, Map.of("FAIL", "1"), "install", "nosuchpkg");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderrText()).contains("Unable to locate package");
    }

    @Test
    void installedOnlyIntoANewFolder() throws Exception {
        Path fresh = dir.resolve("fresh-sm-plugins");
        boolean apt = Files.isExecutable(Path.of("/usr/bin/apt-get")) && Files.isExecutable(Path.of("/usr/bin/dpkg-query"));
        assertThat(AptPlugin.installIfNew(fresh)).isEqualTo(apt);
        assertThat(Files.isExecutable(fresh.resolve("apt"))).isEqualTo(apt);
        Files.deleteIfExists(fresh.resolve("apt"));
        assertThat(AptPlugin.installIfNew(fresh)).isFalse();
        assertThat(fresh.resolve("apt")).doesNotExist();
    }
}
