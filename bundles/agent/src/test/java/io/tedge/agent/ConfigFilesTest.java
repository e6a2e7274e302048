package io.tedge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {
    @TempDir
    Path dir;

    @Test
    void upstreamExampleFile() throws Exception {
        Path f = dir.resolve(ConfigPluginFile.FILE_NAME);
        Files.writeString(f, "files = [ { path = '/etc/tedge/tedge.toml' },\n"
                + "          { path = '/etc/tedge/c8y/example.txt', type = 'example', user = 'tedge', group = 'tedge', mode = 0o444 } ]\n");
        ConfigPluginFile c = ConfigPluginFile.read(f);
        assertThat(c.problem()).isNull();
        assertThat(c.types()).containsExactly("/etc/tedge/tedge.toml", "c8y-configuration-plugin", "example");
        ConfigPluginFile.Entry e = c.entry("example");
        assertThat(e.path()).isEqualTo(Path.of("/etc/tedge/c8y/example.txt"));
        assertThat(e.user()).isEqualTo("tedge");
        assertThat(e.group()).isEqualTo("tedge");
        assertThat(e.mode()).isEqualTo(0444);
        assertThat(c.entry("c8y-configuration-plugin").path()).isEqualTo(f.toAbsolutePath());
    }

    @Test
    void arrayOfTablesToo() throws Exception {
        Path f = dir.resolve(ConfigPluginFile.FILE_NAME);
        Files.writeString(f, "[[files]]\npath = '/etc/a.conf'\ntype = 'a'\n\n[[files]]\npath = '/etc/b.conf'\n");
        assertThat(ConfigPluginFile.read(f).types()).containsExactly("/etc/b.conf", "a", "c8y-configuration-plugin");
    }

    @Test
    void anInvalidFileIsIgnoredWhole() throws Exception {
        Path f = dir.resolve(ConfigPluginFile.FILE_NAME);
        for (String bad : new String[] {
            "files = [ { path = '/etc/a', type = 'a+b' } ]",
            "files = [ { path = '/etc/a', type = 'x' }, { path = '/etc/b', type = 'x' } ]",
            "files = [ { path = 'relative' } ]",
            "files = [ { path = '/etc/a', mode = 'rw' } ]",
            "files = [ { path = '/etc/a' "}) {
            Files.writeString(f, bad);
            ConfigPluginFile c = ConfigPluginFile.read(f);
            assertThat(c.types()).as(bad).containsExactly("c8y-configuration-plugin");
            assertThat(c.problem()).as(bad).isNotNull().contains(f.toString());
        }
    }

    @Test
    void defaultContentParses() {
        Path f = dir.resolve(ConfigPluginFile.FILE_NAME);
        try {
            Files.writeString(f, ConfigPluginFile.defaultContent(dir));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(ConfigPluginFile.read(f).types()).containsExactly("c8y-configuration-plugin", "tedge.toml");
    }

    @Test
    void replaceAppliesOwnerGroupAndMode() throws Exception {
        Path target = dir.resolve("sub").resolve("app.conf");
        FileOps.replace(target, in("new content\n"), 1000, "nobody", "nogroup", 0640);
        assertThat(target).hasContent("new content");
        PosixFileAttributes a = Files.readAttributes(target, PosixFileAttributes.class);
        assertThat(a.owner().getName()).isEqualTo("nobody");
        assertThat(a.group().getName()).isEqualTo("nogroup");
        assertThat(PosixFilePermissions.toString(a.permissions())).isEqualTo("rw-r-----");
    }

    @Test
    void replaceKeepsTheAttributesItIsNotGiven() throws Exception {
        Path target = dir.resolve("keep.conf");
        Files.writeString(target, "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        FileOps.replace(target, in("new"), 1000, null, null, null);
        assertThat(target).hasContent("new");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
    }

    @Test
    void aFailedReplaceLeavesTheFileAsItWas() throws Exception {
        Path target = dir.resolve("app.conf");
        Files.writeString(target, "old");
        assertThatThrownBy(() -> FileOps.replace(target, in("x"), 1000, "no-such-user-xyz", null, null))
                .hasMessageContaining("The user 'no-such-user-xyz'");
        assertThatThrownBy(() -> FileOps.replace(target, in("x"), 1000, null, "no-such-group-xyz", null))
                .hasMessageContaining("The group 'no-such-group-xyz'");
        assertThatThrownBy(() -> FileOps.replace(target, in("0123456789"), 5, null, null, null))
                .hasMessageContaining("larger than 5 bytes");
        assertThat(target).hasContent("old");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("app.conf");
        }
    }

    @Test
    void modeBits() {
        assertThat(FileOps.mode(FileOps.permissions(0754))).isEqualTo(0754);
        assertThat(PosixFilePermissions.toString(FileOps.permissions(0444))).isEqualTo("r--r--r--");
    }

    private static ByteArrayInputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
