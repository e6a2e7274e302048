package io.tedge.log.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import org.slf4j.event.Level;

/**
 * Where every log line of the container goes: the log file {@code <logs.path>/tedge.log}
 * (rotated at 10 MiB to {@code tedge.log.1}) and the console (standard error; only warnings and
 * errors while the interactive shell owns the terminal).
 */
public final class LogSink {
    static final long ROTATE_AT = 10L * 1024 * 1024;
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static volatile int threshold = Level.INFO.toInt();
    // until LogConfigurator applies the config: the launcher's -Dtedge.interactive, so the shell's terminal stays quiet
    private static volatile boolean interactive = Boolean.getBoolean("tedge.interactive");
    private static volatile PrintStream console = System.err;
    private static Path file;
    private static OutputStream out;
    private static long written;

    private LogSink() {
    }

    /** Parses error|warn|info|debug|trace; unknown gives info. */
    public static Level parse(String level) {
        if (level == null) return Level.INFO;
        try {
            return Level.valueOf(level.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Level.INFO;
        }
    }

    public static void configure(Path logFile, Level level, boolean interactiveConsole) {
        threshold = level.toInt();
        interactive = interactiveConsole;
        synchronized (LogSink.class) {
            if (logFile != null && logFile.equals(file)) return;
            closeFile();
            file = logFile;
            if (file != null) {
                try {
                    Files.createDirectories(file.getParent());
                    out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    written = Files.size(file);
                } catch (IOException e) {
                    console.println("tedge: cannot write the log file " + file + ": " + e.getMessage());
                    out = null;
                }
            }
        }
    }

    static void console(PrintStream p) {
        console = p;
    }

    static boolean enabled(Level level) {
        return level.toInt() >= threshold;
    }

    static void write(Level level, String logger, String message, Throwable t) {
        if (!enabled(level)) return;
        String shortName = logger.substring(logger.lastIndexOf('.') + 1);
        StringBuilder sb = new StringBuilder(96 + message.length());
        sb.append(TS.format(Instant.now())).append(' ').append(String.format("%-5s", level)).append(' ')
                .append(shortName).append(": ").append(message).append('\n');
        if (t != null) {
            StringWriter sw = new StringWriter();
            t.printStackTrace(new PrintWriter(sw));
            sb.append(sw);
        }
        String line = sb.toString();
        if (!interactive || level.toInt() >= Level.WARN.toInt()) {
            console.print(line);
            console.flush();
        }
        synchronized (LogSink.class) {
            if (out == null) return;
            try {
                byte[] b = line.getBytes(StandardCharsets.UTF_8);
                out.write(b);
                out.flush();
                written += b.length;
                if (written > ROTATE_AT) rotate();
            } catch (IOException e) {
                // the console still has it
            }
        }
    }

    private static void rotate() throws IOException {
        out.close();
        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        written = 0;
    }

    static synchronized void closeFile() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                // closing
            }
        }
        out = null;
        file = null;
    }
}
