package io.tedge.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


import io.tedge.config.internal.Toml;
import io.tedge.config.internal.Toml.TomlException;

/**
 * A snapshot of tedge.toml with the registry that gives its keys meaning. Reads are from the
 * snapshot; {@link #set} and {@link #unset} re-read the file under a lock, change one key and
 * write the file atomically (temp file, fsync, rename), so a bad value or a crash leaves the file
 * as it was.
 */
public final class TedgeConfig {
    public static final String FILE_NAME = "tedge.toml";
    private static final Pattern REF = Pattern.compile("\\$\\{([a-z0-9_.]+)}");

    private final Path dir;
    private final ConfigRegistry registry;
    private final Toml.Document doc;

    private TedgeConfig(Path dir, ConfigRegistry registry, Toml.Document doc) {
        this.dir = dir;
        this.registry = registry;
        this.doc = doc;
    }

    /** Loads {@code <dir>/tedge.toml}; a missing file is an empty configuration. */
    public static TedgeConfig load(Path dir, ConfigRegistry registry) throws ConfigException {
        return new TedgeConfig(dir, registry, read(dir.resolve(FILE_NAME)));
    }

    private static Toml.Document read(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Toml.Document();
        } catch (IOException e) {
            throw new ConfigException("Cannot read " + file + ": " + e.getMessage());
        }
        try {
            Toml.Document d = Toml.parse(text);
            // thin-edge.io 0.1 wrote [azure]; 0.2 reads it as [az]
            Map<String, Toml.Value> azure = d.tables().remove("azure");
            if (azure != null) {
                for (Map.Entry<String, Toml.Value> e : azure.entrySet()) {
                    if (d.get("az", e.getKey()) == null) d.put("az", e.getKey(), e.getValue());
                }
            }
            return d;
        } catch (TomlException e) {
            throw new ConfigException("Failed to parse " + file + ": " + e.getMessage()
                    + "\nFix the file by hand (it is TOML; `tedge config` cannot read it either until then).");
        }
    }

    public Path dir() {
        return dir;
    }

    public Path file() {
        return dir.resolve(FILE_NAME);
    }

    public ConfigRegistry registry() {
        return registry;
    }

    /** The definition of a key, or the thin-edge.io error for an unknown key. */
    public ConfigKeyDef def(String key) throws ConfigException {
        ConfigKeyDef d = registry.find(key);
        if (d == null) {
            throw new ConfigException("Invalid key `" + key + "'. See `tedge config list --doc` for a list of valid keys.");
        }
        return d;
    }

    /** A field of a table as written in the file (no key definition needed), or null. */
    public String raw(String table, String field) {
        Toml.Value v = doc.get(table, field);
        return v == null ? null : v.asText();
    }

    /** What {@code tedge config} shows after the value of a key that no installed bundle declares. */
    public static final String UNDECLARED = "(not declared by an installed bundle)";

    /**
     * The value in the file of a key that no installed bundle declares (e.g. the keys of a
     * connector whose jar was removed: tedge.toml keeps them), unvalidated; null when the key is
     * declared or not in the file.
     */
    public String undeclared(String key) {
        if (registry.find(key) != null || !key.matches("[a-z0-9_]+(\\.[a-z0-9_]+)+")) return null;
        int dot = key.indexOf('.');
        return raw(key.substring(0, dot), key.substring(dot + 1).replace('.', '_'));
    }

    /** The fields of the file that no key of the registry describes (besides the connect flags), as table.field = value. */
    public List<Map.Entry<String, String>> undeclared() {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Toml.Value>> t : doc.tables().entrySet()) {
            if (t.getKey().isEmpty() || t.getKey().contains(".")) continue;
            for (Map.Entry<String, Toml.Value> f : t.getValue().entrySet()) {
                if (f.getKey().equals("connect") || registry.byTomlPath(t.getKey(), f.getKey()) != null) continue;
                out.add(Map.entry(t.getKey() + "." + f.getKey(), f.getValue().asText()));
            }
        }
        return out;
    }

    /** Whether {@code tedge connect <cloud>} marked the cloud as connected ({@code [cloud] connect = "true"}). */
    public boolean connected(String cloud) {
        return "true".equalsIgnoreCase(raw(cloud, "connect"));
    }

    /**
     * Sets ({@code value} not null) or removes a field that no key describes, such as the
     * {@code connect} flag of a cloud table, with the same atomic write as {@link #set}.
     */
    public static void setRaw(Path dir, String table, String field, String value) throws ConfigException {
        modify(dir, doc -> {
            if (value == null) doc.remove(table, field);
            else doc.put(table, field, new Toml.Value(value, 0));
        });
    }

    /** The value written in the file for this key, unvalidated, or null. */
    public String explicit(String key) throws ConfigException {
        ConfigKeyDef d = def(key);
        Toml.Value v = doc.get(d.table(), d.field());
        return v == null ? null : v.asText();
    }

    /** The effective value: the file's (validated), else the default; empty when neither. */
    public Optional<String> get(String key) throws ConfigException {
        ConfigKeyDef d = def(key);
        if (d.type().equals("derived")) {
            return derive(d);
        }
        Toml.Value v = doc.get(d.table(), d.field());
        if (v != null) {
            try {
                return Optional.of(ValueTypes.normalize(d, v.asText()));
            } catch (ConfigException e) {
                throw new ConfigException("Invalid value for `" + key + "` in " + file() + " at line " + v.line() + ": "
                        + e.getMessage() + "\nFix it with `tedge config set " + key + " <value>` or `tedge config unset " + key + "`.");
            }
        }
        return Optional.ofNullable(defaultOf(d, 0));
    }

    /** The value, or an error naming the key when it is not set. */
    public String require(String key) throws ConfigException {
        return get(key).orElseThrow(() -> new ConfigException("The configuration key `" + key
                + "` is not set. Set it with `tedge config set " + key + " <value>`."));
    }

    private String defaultOf(ConfigKeyDef d, int depth) throws ConfigException {
        String t = d.defaultValue();
        if (t == null || depth > 5) return null;
        Matcher m = REF.matcher(t);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String ref = m.group(1);
            String val;
            if (ref.equals("config.dir")) {
                val = dir.toString();
            } else {
                ConfigKeyDef rd = registry.find(ref);
                if (rd == null) return null;
                Toml.Value v = doc.get(rd.table(), rd.field());
                val = v != null ? v.asText() : defaultOf(rd, depth + 1);
                if (val == null) return null;
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(val));
        }
        m.appendTail(sb);
        String out = sb.toString();
        try {
            return ValueTypes.normalize(d, out);
        } catch (ConfigException e) {
            return null;
        }
    }

    private Optional<String> derive(ConfigKeyDef d) throws ConfigException {
        if (!d.key().equals("device.id")) return Optional.empty();
        Path cert = Path.of(get("device.cert.path").orElse(""));
        if (!Files.isRegularFile(cert)) return Optional.empty();
        try {
            return Optional.of(commonName(Files.readAllBytes(cert)));
        } catch (IOException | CertificateException e) {
            throw new ConfigException("Derivation for `device.id` failed: PEM file format error (" + cert + ")");
        }
    }

    /** The CN of the first certificate in a PEM (or DER) file. */
    public static String commonName(byte[] pem) throws CertificateException {
        String cn = X509Fields.read(pem).subjectCommonName();
        if (cn == null) throw new CertificateException("no CN in the subject");
        return cn;
    }

    /** key=value lines in registry order; with {@code all}, unset keys as {@code key=}. */
    public List<Map.Entry<String, String>> list(boolean all) throws ConfigException {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        List<Map.Entry<String, String>> unset = new ArrayList<>();
        for (ConfigKeyDef d : registry.all()) {
            Optional<String> v = get(d.key());
            if (v.isPresent()) out.add(Map.entry(d.key(), v.get()));
            else unset.add(Map.entry(d.key(), ""));
        }
        if (all) out.addAll(unset);
        return out;
    }

    /**
     * Effective values grouped by ConfigAdmin PID ({@code tedge.<table>}), property = dotted key.
     * Values that do not validate are left out (and logged by the caller via {@link #problems}).
     */
    public Map<String, Map<String, String>> byPid() {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (ConfigKeyDef d : registry.all()) {
            Map<String, String> props = out.computeIfAbsent(d.pid(), k -> new LinkedHashMap<>());
            try {
                Optional<String> v = get(d.key());
                // components get a size in bytes; users see it as written
                if (v.isPresent()) props.put(d.key(), d.type().equals("size") ? Long.toString(ValueTypes.size(v.get())) : v.get());
            } catch (ConfigException e) {
                // reported by problems()
            }
        }
        // the connection flags written by `tedge connect <cloud>`, for any cloud
        for (Map.Entry<String, Map<String, Toml.Value>> t : doc.tables().entrySet()) {
            Toml.Value c = t.getValue().get("connect");
            if (c != null && !t.getKey().isEmpty() && !t.getKey().contains(".")) {
                out.computeIfAbsent("tedge." + t.getKey(), k -> new LinkedHashMap<>()).put(t.getKey() + ".connect", c.asText());
            }
        }
        return out;
    }

    /** Errors of values in the file (bad values, bad certificate for device.id). */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        for (ConfigKeyDef d : registry.all()) {
            try {
                get(d.key());
            } catch (ConfigException e) {
                out.add(e.getMessage());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ writes

    /** Validates and writes one key. The file is untouched when anything is wrong. */
    public static void set(Path dir, ConfigRegistry registry, String key, String value) throws ConfigException {
        ConfigKeyDef d = checkWritable(registry, key);
        String v;
        try {
            v = ValueTypes.normalize(d, value);
        } catch (ConfigException e) {
            throw new ConfigException("Invalid value for `" + key + "`: " + e.getMessage());
        }
        Object typed = switch (d.type()) {
            case "port", "int" -> Long.parseLong(v);
            case "size" -> v.chars().allMatch(Character::isDigit) ? (Object) Long.parseLong(v) : v; // 128M is written as "128M"
            case "flag" -> Boolean.parseBoolean(v);
            default -> v;
        };
        modify(dir, doc -> doc.put(d.table(), d.field(), new Toml.Value(typed, 0)));
    }

    /**
     * Removes one key from the file; also one that no installed bundle declares but the file
     * holds (e.g. left by a connector whose jar was removed), so that it can be cleaned up
     * without editing the file by hand.
     */
    public static void unset(Path dir, ConfigRegistry registry, String key) throws ConfigException {
        if (registry.find(key) == null && key.matches("[a-z0-9_]+(\\.[a-z0-9_]+)+")) {
            int dot = key.indexOf('.');
            String table = key.substring(0, dot);
            String field = key.substring(dot + 1).replace('.', '_');
            if (!field.equals("connect") && load(dir, registry).raw(table, field) != null) {
                modify(dir, doc -> doc.remove(table, field));
                return;
            }
        }
        ConfigKeyDef d = checkWritable(registry, key);
        modify(dir, doc -> doc.remove(d.table(), d.field()));
    }

    private static ConfigKeyDef checkWritable(ConfigRegistry registry, String key) throws ConfigException {
        ConfigKeyDef d = registry.find(key);
        if (d == null) {
            throw new ConfigException("Invalid key `" + key + "'. See `tedge config list --doc` for a list of valid keys.");
        }
        if (d.readOnly()) {
            throw new ConfigException("Readonly setting: The device id is read from the device certificate and cannot be set directly.\n"
                    + "To set 'device.id' to some <id>, you can use `tedge cert create --device-id <id>`.");
        }
        return d;
    }

    private interface Edit {
        void apply(Toml.Document doc);
    }

    private static void modify(Path dir, Edit edit) throws ConfigException {
        Path file = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigException("Cannot create the config directory " + dir + ": " + e.getMessage());
        }
        try (FileChannel lockCh = FileChannel.open(dir.resolve(".tedge.toml.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockCh.lock()) {
            Toml.Document doc = read(file);
            String before = Toml.write(doc);
            edit.apply(doc);
            String after = Toml.write(doc);
            if (after.equals(before) && Files.exists(file)) return;
            writeAtomically(file, after.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("Cannot write " + file + ": " + e.getMessage() + "\nThe file was not changed.");
        }
    }

    /** temp file in the same folder, fsync, rename over the target, fsync the folder. */
    public static void writeAtomically(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        // keep the file's permissions (on a POSIX file system; elsewhere the defaults)
        if (Files.exists(file) && Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            Files.setPosixFilePermissions(tmp, perms);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems do not allow opening a directory; the rename is still atomic
        }
    }
}
