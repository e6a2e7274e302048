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
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Set;

import org.slf4j.event.Level;

/**
 * Where every log line of the container goes: the log file {@code <logs.path>/tedge.log}
 * (rotated at 10 MiB to {@code tedge.log.1}) and the console (standard error; only warnings and
 * errors while the interactive shell owns the terminal).
 */
public final class LogSink {
    static final long ROTATE_AT = 10L * 1024 * 1024;
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static volatile int threshold = Level.INFO.toInt();
    // until LogConfigurator applies the config: the launcher's -Dtedge.interactive, so the shell's terminal stays quiet
    private static volatile boolean interactive = Boolean.getBoolean("tedge.interactive") || Boolean.getBoolean("tedge.console.quiet");
    private static volatile PrintStream console = System.err;
    /** systemd connected standard error to the journal (it sets JOURNAL_STREAM then). */
    private static final boolean journal = System.getenv("JOURNAL_STREAM") != null;
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
                    out = open(file);
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

    /**
     * For the framework and the platform bundles (through the OSGi Log Service): one step
     * quieter than the agent's own level, so that at info only their warnings and errors show.
     */
    static boolean enabledForPlatform(Level level) {
        int t = threshold;
        int platform = t >= Level.WARN.toInt() ? t : t == Level.INFO.toInt() ? Level.WARN.toInt() : t == Level.DEBUG.toInt() ? Level.INFO.toInt()
                : Level.DEBUG.toInt();
        return level.toInt() >= platform;
    }

    static void write(Level level, String logger, String message, Throwable t) {
        if (!enabled(level)) return;
        String body = body(level, logger, message, t);
        String line = TS.format(Instant.now()) + ' ' + body;
        if (!interactive || level.toInt() >= Level.WARN.toInt()) {
            console.print(journal ? journalLine(level, body) : line);
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

    /** A line without its timestamp: level, the logger's short name, the message, the stack trace if any. */
    static String body(Level level, String logger, String message, Throwable t) {
        String shortName = logger.substring(logger.lastIndexOf('.') + 1);
        StringBuilder sb = new StringBuilder(64 + message.length());
        sb.append(String.format("%-5s", level)).append(' ').append(shortName).append(": ").append(message).append('\n');
        if (t != null) {
            StringWriter sw = new StringWriter();
            t.printStackTrace(new PrintWriter(sw));
            sb.append(sw);
        }
        return sb.toString();
    }

    /**
     * Under systemd the console goes to the journal, which timestamps each line itself: no
     * timestamp of ours, and the syslog priority as a {@code <N>} prefix that journald reads
     * (error 3, warning 4, info 6, debug and trace 7).
     */
    static String journalLine(Level level, String body) {
        int priority = switch (level) {
            case ERROR -> 3;
            case WARN -> 4;
            case INFO -> 6;
            default -> 7;
        };
        return "<" + priority + ">" + body;
    }

    private static void rotate() throws IOException {
        out.close();
        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        out = open(file);
        written = 0;
    }

    /**
     * Opens the log for appending; the log, like the agent's data, is for the agent's user only:
     * folder 0700 and file 0600 when they are created here, whatever the umask, and an existing
     * file open to others is made 0600.
     */
    static OutputStream open(Path logFile) throws IOException {
        boolean posix = logFile.getFileSystem().supportedFileAttributeViews().contains("posix");
        Path dir = logFile.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            if (posix) Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        if (posix && !Files.exists(logFile)) {
            Files.createFile(logFile, PosixFilePermissions.asFileAttribute(OWNER_RW));
        }
        if (posix && !Files.getPosixFilePermissions(logFile).equals(OWNER_RW)) Files.setPosixFilePermissions(logFile, OWNER_RW);
        return Files.newOutputStream(logFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
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
