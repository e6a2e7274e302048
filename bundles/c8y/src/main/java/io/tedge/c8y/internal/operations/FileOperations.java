package io.tedge.c8y.internal.operations;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import io.tedge.agent.ConfigPluginFile;
import io.tedge.agent.FileOps;
import io.tedge.agent.LogCollector;
import io.tedge.agent.LogPluginFile;
import io.tedge.api.BusMessage;
import io.tedge.json.Json;
import io.tedge.json.ObjectNode;

/**
 * Configuration and log requests (thin-edge.io 0.12's c8y-configuration-plugin and c8y-log-plugin):
 *
 * <ul>
 * <li>{@code 526,<device>,<type>} (c8y_UploadConfigFile): {@code 501}, the file of the type as an
 * event with a binary, {@code 503,c8y_UploadConfigFile,<binary URL>\n}.</li>
 * <li>{@code 524,<device>,<url>,<type>} (c8y_DownloadConfigFile): {@code 501}, the download
 * replaces the file (atomically, with the entry's user, group and mode), {@code 503,…,\n}, and
 * {@code {"path":"<path>"}} on {@code tedge/configuration_change/<type>}. A failure is
 * {@code 502,c8y_DownloadConfigFile,"<error>"\n} only (0.12 also sent a stray
 * {@code 502,c8y_UploadConfigFile}).</li>
 * <li>{@code 522,<device>,<type>,<from>,<to>,<search>,<lines>} (c8y_LogfileRequest): {@code 501},
 * the lines ({@link LogCollector}, both dates honoured) as an event with a binary,
 * {@code 503,c8y_LogfileRequest,<binary URL>\n}; a failure is
 * {@code 502,c8y_LogfileRequest,"Handling of operation failed with <error>"\n}.</li>
 * </ul>
 * Files are bounded: {@link #MAX_FILE} bytes up and down, {@link #MAX_LOG} bytes of log text.
 */
final class FileOperations {
    static final String UPLOAD = "c8y_UploadConfigFile";
    static final String DOWNLOAD = "c8y_DownloadConfigFile";
    static final String LOGS = "c8y_LogfileRequest";
    static final long MAX_FILE = 10L << 20;
    static final int MAX_LOG = 4 << 20;

    private final Path pluginDir;

    FileOperations(Path pluginDir) {
        this.pluginDir = pluginDir;
    }

    /** The statuses and notifications of one request, in order. */
    List<BusMessage> handle(List<String> f, OperationsHttp http) throws InterruptedException {
        String code = f.get(0);
        String op = code.equals("526") ? UPLOAD : code.equals("524") ? DOWNLOAD : LOGS;
        List<BusMessage> out = new ArrayList<>();
        out.add(BusMessage.of(C8yOperations.US, "501," + op + "\n", 1));
        try {
            if (http == null) throw new IOException("no Cumulocity HTTP client is available");
            switch (code) {
                case "526":
                    out.add(BusMessage.of(C8yOperations.US, "503," + UPLOAD + "," + upload(field(f, 2), http) + "\n", 1));
                    break;
                case "524":
                    ConfigPluginFile.Entry e = download(field(f, 2), field(f, 3), http);
                    out.add(BusMessage.of(C8yOperations.US, "503," + DOWNLOAD + ",\n", 1));
                    ObjectNode change = Json.object();
                    change.put("path", e.path().toString());
                    out.add(new BusMessage("tedge/configuration_change/" + e.type(), Json.bytes(change), 1, false, -1));
                    break;
                default:
                    out.add(BusMessage.of(C8yOperations.US, "503," + LOGS + "," + logs(f, http) + "\n", 1));
            }
        } catch (IOException | RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            if (op.equals(LOGS)) msg = "Handling of operation failed with " + msg;
            out.add(BusMessage.of(C8yOperations.US, "502," + op + "," + SmartRestLines.quoted(msg) + "\n", 1));
        }
        return out;
    }

    private static String field(List<String> f, int i) throws IOException {
        if (f.size() <= i) throw new IOException("the request " + f.get(0) + " has too few fields");
        return f.get(i);
    }

    private ConfigPluginFile.Entry entry(String type) throws IOException {
        ConfigPluginFile config = ConfigPluginFile.read(pluginDir.resolve(ConfigPluginFile.FILE_NAME));
        ConfigPluginFile.Entry e = config.entry(type);
        if (e == null) throw new IOException("The requested config_type " + type + " is not defined in the plugin configuration file.");
        return e;
    }

    String upload(String type, OperationsHttp http) throws IOException, InterruptedException {
        ConfigPluginFile.Entry e = entry(type);
        byte[] content;
        try {
            if (Files.size(e.path()) > MAX_FILE) throw new IOException(e.path() + " is larger than " + MAX_FILE + " bytes");
            content = Files.readAllBytes(e.path());
        } catch (NoSuchFileException x) {
            throw new IOException("No such file: " + e.path());
        }
        return http.uploadEventBinary(type, type, content);
    }

    ConfigPluginFile.Entry download(String url, String type, OperationsHttp http) throws IOException, InterruptedException {
        ConfigPluginFile.Entry e = entry(type);
        byte[] content = http.download(url, MAX_FILE);
        try (InputStream in = new ByteArrayInputStream(content)) {
            FileOps.replace(e.path(), in, MAX_FILE, e.user(), e.group(), e.mode());
        }
        return e;
    }

    String logs(List<String> f, OperationsHttp http) throws IOException, InterruptedException {
        String type = field(f, 2);
        Instant from = date(field(f, 3));
        Instant to = date(field(f, 4));
        String needle = f.size() > 5 ? f.get(5) : "";
        int lines;
        try {
            lines = f.size() > 6 && !f.get(6).isBlank() ? Integer.parseInt(f.get(6).strip()) : 1000;
        } catch (NumberFormatException e) {
            throw new IOException("the line count '" + f.get(6) + "' is not a number");
        }
        LogPluginFile config = LogPluginFile.read(pluginDir.resolve(LogPluginFile.FILE_NAME));
        String text = LogCollector.collect(config, type, from, to, needle, lines, MAX_LOG);
        return http.uploadEventBinary(type, type, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Cumulocity's {@code 2021-01-27T13:10:24+0100} (or with {@code +01:00}, {@code Z}); blank is no limit. */
    static Instant date(String s) throws IOException {
        String t = s.strip();
        if (t.isEmpty()) return null;
        if (t.matches(".*[+-]\\d{4}$")) t = t.substring(0, t.length() - 2) + ":" + t.substring(t.length() - 2);
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            throw new IOException("the date '" + s + "' is not like 2021-01-27T13:10:24+0100");
        }
    }
}
