package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tedge init}: the folders of the agent, their modes, and that it can run again. */
class InitCliTest {
    @TempDir
    Path tmp;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** As root, init gives the folders to a user (default tedge): here to the current one. */
    private static String[] init(String... more) {
        List<String> a = new ArrayList<>(List.of("init"));
        if (Ownership.isRoot()) a.addAll(List.of("--user", System.getProperty("user.name")));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void createsTheFoldersWithTheirModesAndCanRunAgain() throws Exception {
        Path cfg = tmp.resolve("etc/tedge");
        Path data = tmp.resolve("var/tedge");
        Path logs = tmp.resolve("var/log/tedge");
        Files.createDirectories(cfg);
        String toml = "[data]\npath = \"" + data + "\"\n[logs]\npath = \"" + logs + "\"\n";
        Files.writeString(cfg.resolve("tedge.toml"), toml);
        CliRunner cli = new CliRunner(cfg);
        for (int run = 0; run < 2; run++) {
            CliRunner.Result r = cli.run(init());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(mode(cfg)).isEqualTo("rwxr-xr-x");
            assertThat(mode(cfg.resolve("device-certs"))).isEqualTo("rwxr-xr-x");
            assertThat(mode(cfg.resolve("deploy"))).isEqualTo("rwxr-xr-x");
            assertThat(mode(data)).isEqualTo("rwx------");
            assertThat(mode(logs)).isEqualTo("rwx------");
            assertThat(Files.readString(cfg.resolve("tedge.toml"))).isEqualTo(toml);
        }
        // a folder opened to others meanwhile is closed again
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(cli.run(init()).code()).isZero();
        assertThat(mode(data)).isEqualTo("rwx------");
    }

    @Test
    void theDefaultsAreUnderTheConfigDir() throws Exception {
        Path cfg = tmp.resolve("home/.tedge");
        CliRunner cli = new CliRunner(cfg);
        assertThat(cli.run(init()).code()).isZero();
        assertThat(mode(cfg.resolve("data"))).isEqualTo("rwx------");
        assertThat(mode(cfg.resolve("logs"))).isEqualTo("rwx------");
        assertThat(cfg.resolve("tedge.toml")).doesNotExist();
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        CliRunner.Result r = new CliRunner(tmp).run("init", "--relative-links-nope");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("tedge init [--user <USER>] [--group <GROUP>]");
    }
}
