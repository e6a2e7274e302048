package io.tedge.config;

import java.util.List;
import java.util.Objects;

/**
 * One tedge.toml key: its dotted name, type, default, documentation.
 *
 * @param key          dotted key, e.g. {@code c8y.root.cert.path}
 * @param type         value type name, see {@link ValueTypes}
 * @param defaultValue default template or null; {@code ${other.key}} and {@code ${config.dir}}
 *                     are replaced, and a default that refers to an unset key is no default
 * @param doc          one line of documentation
 * @param readOnly     derived keys ({@code device.id}) cannot be set
 * @param origin       who declares it: {@code core} or a bundle symbolic name
 */
public record ConfigKeyDef(String key, String type, String defaultValue, String doc, boolean readOnly, String origin) {

    public ConfigKeyDef {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        if (!key.matches("[a-z0-9_]+(\\.[a-z0-9_]+)+")) {
            throw new IllegalArgumentException("Invalid config key name '" + key + "': use lower case words separated by dots");
        }
        if (defaultValue != null && defaultValue.isEmpty()) defaultValue = null;
        if (doc == null) doc = "";
    }

    /** The tedge.toml table: the first segment of the key. */
    public String table() {
        return key.substring(0, key.indexOf('.'));
    }

    /** The field inside the table: the remaining segments joined with '_'. */
    public String field() {
        return key.substring(key.indexOf('.') + 1).replace('.', '_');
    }

    /** The ConfigAdmin PID that carries this key: {@code tedge.<table>}. */
    public String pid() {
        return "tedge." + table();
    }

    /** The allowed values for a {@code choice:a|b} type, else an empty list. */
    public List<String> choices() {
        return type.startsWith("choice:") ? List.of(type.substring(7).split("\\|")) : List.of();
    }
}
