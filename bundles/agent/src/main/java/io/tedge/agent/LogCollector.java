package io.tedge.agent;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

/**
 * Collects the lines of a log request ({@code 522}): the files matching the type's globs whose
 * modification time is within {@code [from, to]} (both ends included), newest file first; in
 * each, the last lines containing the search text (all lines when it is empty), up to
 * {@code maxLines} over all files; each file's block starts with {@code filename: <name>} and
 * keeps its lines in their order. Files are read backwards from their end, so a large log costs
 * only the lines returned; the text is also bounded in bytes.
 */
public final class LogCollector {
    /** Files a glob may match; more are ignored. */
    public static final int MAX_FILES = 1000;
    /** A longer line is cut to this many bytes. */
    public static final int MAX_LINE = 16 << 10;

    private LogCollector() {
    }

    /**
     * The text to upload.
     *
     * @throws IOException the type is unknown or no file matched (the message says which)
     */
    public static String collect(LogPluginFile config, String type, Instant from, Instant to, String needle, int maxLines,
            int maxBytes) throws IOException {
        List<String> globs = config.globs(type);
        if (globs.isEmpty()) {
            throw new IOException("The requested log type " + type + " is not defined in the plugin configuration file.");
        }
        List<Path> files = new ArrayList<>();
        for (String g : globs) files.addAll(match(g));
        if (files.isEmpty()) throw new IOException("No such file or directory for log type: " + type);
        List<Path> inRange = new ArrayList<>();
        for (Path f : files) {
            Instant m = Files.getLastModifiedTime(f).toInstant();
            if ((from == null || !m.isBefore(from)) && (to == null || !m.isAfter(to))) inRange.add(f);
        }
        inRange.sort(Comparator.comparing(LogCollector::mtime).reversed());
        StringBuilder out = new StringBuilder();
        int budget = Math.max(0, maxLines);
        for (Path f : inRange) {
            if (budget == 0 || out.length() >= maxBytes) break;
            Deque<String> lines = lastLines(f, needle, budget, maxBytes);
            budget -= lines.size();
            out.append("filename: ").append(f.getFileName()).append('\n');
            for (String l : lines) out.append(l).append('\n');
        }
        if (out.length() > maxBytes) out.setLength(maxBytes);
        return out.toString();
    }

    private static Instant mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /** The regular files matching an absolute glob, walking from its longest literal folder. */
    static List<Path> match(String glob) throws IOException {
        String[] parts = glob.split("/");
        StringBuilder base = new StringBuilder();
        int depth = 0;
        boolean inGlob = false;
        for (String p : parts) {
            if (p.isEmpty()) continue;
            if (!inGlob && p.matches("[^*?\\[{]*")) {
                base.append('/').append(p);
            } else {
                inGlob = true;
                depth = p.contains("**") ? Integer.MAX_VALUE : (depth == Integer.MAX_VALUE ? depth : depth + 1);
            }
        }
        Path root = Path.of(base.length() == 0 ? "/" : base.toString());
        if (!inGlob) return Files.isRegularFile(root) ? List.of(root) : List.of();
        if (!Files.isDirectory(root)) return List.of();
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root, depth, EnumSet.noneOf(FileVisitOption.class).toArray(new FileVisitOption[0]))) {
            s.filter(p -> m.matches(p) && Files.isRegularFile(p)).limit(MAX_FILES).forEach(out::add);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        return out;
    }

    /** The last {@code max} lines of a file containing the needle, in file order. */
    static Deque<String> lastLines(Path file, String needle, int max, int maxBytes) throws IOException {
        Deque<String> lines = new ArrayDeque<>();
        boolean all = needle == null || needle.isEmpty();
        long bytes = 0;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long pos = raf.length();
            byte[] chunk = new byte[8192];
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            boolean first = true; // the text after the last newline (or a trailing newline's empty line)
            while (pos > 0 && lines.size() < max && bytes < maxBytes) {
                int n = (int) Math.min(chunk.length, pos);
                pos -= n;
                raf.seek(pos);
                raf.readFully(chunk, 0, n);
                for (int i = n - 1; i >= 0 && lines.size() < max; i--) {
                    if (chunk[i] == '\n') {
                        if (!(first && line.size() == 0)) bytes += add(lines, line, all, needle);
                        first = false;
                        line.reset();
                    } else if (line.size() < MAX_LINE) {
                        line.write(chunk[i]);
                    }
                }
            }
            if (pos == 0 && line.size() > 0 && lines.size() < max) add(lines, line, all, needle);
        }
        return lines;
    }

    private static int add(Deque<String> lines, java.io.ByteArrayOutputStream reversed, boolean all, String needle) {
        byte[] b = reversed.toByteArray();
        for (int i = 0, j = b.length - 1; i < j; i++, j--) {
            byte t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        String s = new String(b, StandardCharsets.UTF_8);
        if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
        if (!all && !s.contains(needle)) return 0;
        lines.addFirst(s);
        return b.length + 1;
    }
}
