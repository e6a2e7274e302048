package io.tedge.e2e;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The built distribution ({@code target/tedge}) driven as a user would: {@code bin/tedged} as
 * a process with its own config dir and a free port, {@code bin/tedge} for commands.
 */
final class Agent implements AutoCloseable {
    static final Path HOME = Path.of("target/tedge").toAbsolutePath();

    final Path configDir;
    final int port;
    private Process process;

    Agent(Path configDir) throws IOException {
        this(configDir, freePort());
    }

    Agent(Path configDir, int port) throws IOException {
        this.configDir = configDir;
        this.port = port;
        Files.createDirectories(configDir);
        if (!Files.exists(configDir.resolve("tedge.toml"))) {
            Files.writeString(configDir.resolve("tedge.toml"), "[mqtt]\nport = " + port + "\n");
        }
        // a restart operation in a test must never run the default `init 6` (as root on CI)
        if (!Files.exists(configDir.resolve("system.toml"))) {
            Files.writeString(configDir.resolve("system.toml"), "[system]\nreboot = [\"/bin/true\"]\n");
        }
    }

    /** The {@code mqtt.port} in a config dir's tedge.toml (as {@link #Agent(Path)} wrote it). */
    static int mqttPort(Path configDir) throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("port = (\\d+)").matcher(Files.readString(configDir.resolve("tedge.toml")));
        if (!m.find()) throw new AssertionError("no mqtt port in " + configDir.resolve("tedge.toml"));
        return Integer.parseInt(m.group(1));
    }

    /**
     * {@code tedge config set} of the Cumulocity stand-ins' endpoints, their CA and fast reconnects,
     * then of the extra key/value pairs.
     */
    static void useC8yStandIns(Path configDir, String mqttHostPort, String httpHostPort, Path ca, String... extra)
            throws IOException, InterruptedException {
        List<String> kv = new ArrayList<>(List.of("c8y.url", "localhost", "c8y.mqtt", mqttHostPort, "c8y.http", httpHostPort,
                "c8y.root.cert.path", ca.toString(), "bridge.reconnect.initial_ms", "200", "bridge.reconnect.max_ms", "1000",
                "bridge.reconnect.jitter_ms", "100"));
        kv.addAll(List.of(extra));
        for (int i = 0; i < kv.size(); i += 2) C8yIT.ok(run(configDir, "config", "set", kv.get(i), kv.get(i + 1)));
    }

    /** {@code tedge cert create} for the device, then {@code tedge cert upload c8y} with the stand-in's password. */
    static void createAndUploadC8yCert(Path configDir, String device, String password) throws IOException, InterruptedException {
        C8yIT.ok(run(configDir, "cert", "create", "--device-id", device));
        C8yIT.ok(runWithEnv(configDir, java.util.Map.of("C8YPASS", password), "cert", "upload", "c8y", "--user", "admin"));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts bin/tedged (headless: stdin is not a terminal). */
    Agent start() throws IOException {
        return start(List.of(HOME.resolve("bin/tedged").toString(), "--config-dir", configDir.toString()));
    }

    /** Starts bin/tedged through a shell command that ends with {@code exec "$@"} (e.g. to set the umask). */
    Agent startVia(String shell) throws IOException {
        return start(List.of("sh", "-c", shell, "sh", HOME.resolve("bin/tedged").toString(), "--config-dir", configDir.toString()));
    }

    private Agent start(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(configDir.resolve("console.log").toFile()));
        process = pb.start();
        return this;
    }

    /** Starts and waits until the broker accepts connections. */
    Agent startAndWait() throws IOException, InterruptedException {
        start();
        awaitPort(port, Duration.ofSeconds(30));
        return this;
    }

    Process process() {
        return process;
    }

    static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    void awaitPort(int p, Duration timeout) throws InterruptedException, IOException {
        await("broker on port " + p, timeout, () -> {
            if (process != null && !process.isAlive()) return true;
            return listening(p);
        });
        if (process != null && !process.isAlive()) {
            throw new AssertionError("tedged exited with " + process.exitValue() + ":\n" + console());
        }
    }

    String console() throws IOException {
        Path p = configDir.resolve("console.log");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    /** kill -9. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM; returns the milliseconds until the process was gone. */
    long terminate() throws InterruptedException {
        long t0 = System.nanoTime();
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("tedged did not stop on SIGTERM within 20 s");
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    /** Result of a bin/tedge run. */
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    Result tedge(String... args) throws IOException, InterruptedException {
        return run(configDir, args);
    }

    static Result run(Path configDir, String... args) throws IOException, InterruptedException {
        return runWithEnv(configDir, java.util.Map.of(), args);
    }

    static Result runWithEnv(Path configDir, java.util.Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(HOME.resolve("bin/tedge").toString());
        cmd.add("--config-dir");
        cmd.add(configDir.toString());
        cmd.addAll(List.of(args));
        return exec(cmd, Duration.ofSeconds(60), env);
    }

    static Result exec(List<String> cmd, Duration timeout) throws IOException, InterruptedException {
        return exec(cmd, timeout, java.util.Map.of());
    }

    static Result exec(List<String> cmd, Duration timeout, java.util.Map<String, String> env) throws IOException, InterruptedException {
        Path out = Files.createTempFile("tedge-out", ".txt");
        Path err = Files.createTempFile("tedge-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().remove("C8YPASS");
            pb.environment().remove("C8Y_PASSWORD");
            pb.environment().putAll(env);
            Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Until the connectors shipped in deploy/ (aws, az, c8y) are active in `tedge plugins`: the
     * broker listens before FileInstall has installed and started deploy/.
     */
    void awaitShippedConnectors() throws InterruptedException {
        await("the connectors of deploy/ active in tedge plugins", Duration.ofSeconds(30), () -> {
            try {
                return tedge("plugins").out().matches("(?s).*connector +aws .*ACTIVE.*connector +az .*ACTIVE.*connector +c8y .*ACTIVE.*");
            } catch (Exception e) {
                return false;
            }
        });
    }

    static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(25);
        }
    }
}
