package io.tedge.agent.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.tedge.json.Json;
import io.tedge.json.JsonNode;
import io.tedge.json.ObjectNode;
import io.tedge.json.Toml;

/**
 * The TOML files of device management (operation files, plug-in files, system.toml, state files)
 * read into a tree ({@link Toml}: TOML 1.0, with inline tables, arrays of tables, {@code 0o444}
 * octal integers).
 */
public final class TomlFiles {
    /** Larger files are refused: these files are a few lines long. */
    public static final long MAX_SIZE = 1 << 20;

    private TomlFiles() {
    }

    /** The file as a tree; an empty file is an empty table. */
    public static ObjectNode read(Path file) throws IOException {
        if (Files.size(file) > MAX_SIZE) throw new IOException(file + " is larger than " + MAX_SIZE + " bytes");
        return parse(Files.readString(file), file.toString());
    }

    /** Parses TOML text; the error says where. */
    public static ObjectNode parse(String text, String what) throws IOException {
        if (text.isBlank()) return Json.object();
        try {
            return Toml.parse(text);
        } catch (Toml.TomlException e) {
            throw new IOException(what + " is not valid TOML: " + e.getMessage(), e);
        }
    }

    /** The {@code files} array of a plug-in file ({@code files = [ {...}, ... ]} or {@code [[files]]}); empty when absent. */
    public static JsonNode filesArray(Path file) throws IOException {
        JsonNode files = read(file).path("files");
        if (!files.isMissingNode() && !files.isArray()) throw new IOException(file + ": `files` must be an array");
        return files;
    }

    /** A text field, or null when missing or not text. */
    public static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
