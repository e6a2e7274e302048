package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.cli.CliRunner.Result;

/** What `tedge connect` says before it needs a container. */
class ConnectCliTest {

    @TempDir
    Path dir;

    CliRunner cli;

    @BeforeEach
    void setUp() {
        cli = new CliRunner(dir);
    }

    @Test
    void aMissingUrlIsTheFirstAndOnlyThingSaidAndNothingIsWritten() throws Exception {
        // as thin-edge.io: the endpoint is checked before any step is printed
        for (String[] c : new String[][] {{"c8y", "<your-tenant>.cumulocity.com"}, {"az", "<your-hub>.azure-devices.net"}}) {
            Result r = cli.run("connect", c[0]);
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("Error: " + c[0] + ".url is not set. Set it with `tedge config set " + c[0] + ".url " + c[1] + "`.\n");
        }
        assertThat(Files.exists(dir.resolve("tedge.toml"))).isFalse();
    }
}
