package io.tedge.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import io.tedge.testkit.os.Executables;

/**
 * Debian's mosquitto (2.0.x) as a child process of the test JVM, and the other command-line tools
 * the stand-ins need.
 *
 * <p>{@link #binary()} finds the broker: the {@code MOSQUITTO} environment variable or the
 * {@code tedge.mosquitto} system property, else {@link Executables#find}: the {@code PATH}, then
 * {@code /usr/sbin} (where Debian puts it, outside a normal user's {@code PATH}) and the other
 * system folders.
 *
 * <p>A started broker logs to its stderr, which a reader thread hands line by line, in order, to
 * the listener given at start (the last 400 lines are kept for error messages). Every broker is
 * stopped by {@link #close()}, by a JVM shutdown hook, and, should the JVM be killed outright, by
 * a watchdog {@code sh} that waits on a pipe from the JVM and terminates the broker when the pipe
 * closes.
 */
public final class Mosquitto implements AutoCloseable {
    private static final Pattern RUNNING = Pattern.compile("mosquitto version \\S+ running");
    private static final int TAIL = 400;
    private static final Set<Mosquitto> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Mosquitto m : LIVE) m.close();
        }, "testkit-mosquitto-shutdown"));
    }

    private final String name;
    private final Process process;
    private final Process watchdog;
    private final Thread reader;
    private final Deque<String> tail = new ArrayDeque<>();
    private final CountDownLatch running = new CountDownLatch(1);

    private Mosquitto(String name, Process process, Process watchdog, Consumer<String> listener) {
        this.name = name;
        this.process = process;
        this.watchdog = watchdog;
        this.reader = new Thread(() -> read(listener), name + "-log");
        this.reader.setDaemon(true);
    }

    /** The mosquitto broker binary; throws IllegalStateException saying how to get one. */
    public static Path binary() {
        return find("mosquitto", "MOSQUITTO", "tedge.mosquitto");
    }

    /** The openssl command line tool (for {@code openssl rehash}). */
    static Path openssl() {
        return find("openssl", "OPENSSL", "tedge.openssl");
    }

    /** The tool named by the environment variable or system property, else {@link Executables#find}. */
    private static Path find(String tool, String env, String property) {
        String configured = System.getProperty(property, System.getenv(env));
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (Files.isExecutable(p)) return p;
            throw new IllegalStateException(tool + " set by " + env + "/" + property + " is not an executable file: " + configured);
        }
        return Executables.find(tool);
    }

    /** A port on 127.0.0.1 that was free a moment ago (mosquitto 2.0 cannot pick one itself). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts {@code mosquitto -c config} and waits until it says it is running (its listeners are
     * open); {@code listener} gets every log line, in order, on one thread. Throws IOException
     * with the broker's last log lines when it exits or does not come up within {@code timeout}.
     */
    public static Mosquitto start(String name, Path config, Consumer<String> listener, Duration timeout) throws IOException {
        Process p = new ProcessBuilder(binary().toString(), "-c", config.toString()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        Process dog;
        try {
            // EOF on its stdin (the JVM is gone) makes it terminate the broker
            dog = new ProcessBuilder("/bin/sh", "-c", "read x; kill -TERM \"$0\" 2>/dev/null", Long.toString(p.pid()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            p.destroyForcibly();
            throw e;
        }
        Mosquitto m = new Mosquitto(name, p, dog, listener);
        LIVE.add(m);
        m.reader.start();
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!m.running.await(50, TimeUnit.MILLISECONDS)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    boolean exited = !p.isAlive();
                    m.close();
                    throw new IOException(name + ": mosquitto " + (exited ? "exited with " + p.exitValue() : "did not start within " + timeout)
                            + "; its log ends with:\n  " + String.join("\n  ", m.logTail(30)));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            m.close();
            throw new IOException(name + ": interrupted while mosquitto started", e);
        }
        return m;
    }

    private void read(Consumer<String> listener) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL) tail.removeFirst();
                }
                try {
                    listener.accept(line);
                } catch (RuntimeException e) {
                    System.err.println(name + ": the log listener failed on '" + line + "': " + e);
                    e.printStackTrace();
                }
                if (running.getCount() > 0 && RUNNING.matcher(line).matches()) running.countDown();
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last {@code n} lines mosquitto logged (at most the last 400). */
    public List<String> logTail(int n) {
        synchronized (tail) {
            List<String> all = new ArrayList<>(tail);
            return all.subList(Math.max(0, all.size() - n), all.size());
        }
    }

    /**
     * Stops the broker (SIGTERM, so that it saves its persistence file; SIGKILL after 10 s) and
     * waits until every line it logged has reached the listener.
     */
    @Override
    public void close() {
        watchdog.destroyForcibly();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            if (Thread.currentThread() != reader) reader.join(10_000);
            watchdog.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        LIVE.remove(this);
    }
}
