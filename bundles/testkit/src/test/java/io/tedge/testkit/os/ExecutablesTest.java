package io.tedge.testkit.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {
    @TempDir
    Path tmp;

    @Test
    void mosquittoIsFoundInSbinWithoutItOnThePath() {
        // a normal user's PATH: no /usr/sbin (Debian installs the broker there)
        assertThat(Executables.find("mosquitto", "/usr/local/bin:/usr/bin:/bin")).isEqualTo(Path.of("/usr/sbin/mosquitto"));
    }

    @Test
    void thePathComesFirst() throws Exception {
        Path own = tmp.resolve("mosquitto");
        Files.writeString(own, "#!/bin/sh\n");
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rwx------"));
        assertThat(Executables.find("mosquitto", tmp + ":/usr/bin")).isEqualTo(own);
    }

    @Test
    void aFileThatIsNotExecutableIsSkipped() throws Exception {
        Files.writeString(tmp.resolve("mosquitto"), "not a program");
        assertThat(Executables.find("mosquitto", tmp.toString())).isEqualTo(Path.of("/usr/sbin/mosquitto"));
    }

    @Test
    void aMissingProgramSaysWhereItWasLookedForAndWhatToInstall() {
        assertThatThrownBy(() -> Executables.find("mosquitto_nosuch", "/nonexistent"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/usr/sbin")
                .hasMessageContaining("apt-get install mosquitto-clients");
    }
}
