package io.tedge.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.launch.Framework;

/**
 * A load run, not a test: the resident memory floor (/proc/PID/status VmRSS) of a JVM with exactly
 * the container's flags (bin/tedged, without our CDS archive; the JDK's default archive is used), in
 * three stages, each in a fresh child JVM measured {@link #SETTLE} after it is ready:
 * <ol>
 * <li>{@code idle}: a ServerSocket on 127.0.0.1:0, nothing else;</li>
 * <li>{@code tls}: plus two TLS client links (javax.net.ssl, device certificate and EC P-256 key
 * from a PKCS12 made by openssl, CA trust) to two {@code openssl s_server -Verify 1 -rev} that
 * demand the client certificate, each doing a 5-byte write/read every second (an MQTT ping);</li>
 * <li>{@code felix}: plus Apache Felix with scr, configadmin, fileinstall (a temp watched dir),
 * log, org.osgi.util.function, org.osgi.util.promise and org.osgi.service.component from the
 * built distribution's bundle/ (read only), a temp framework cache, no tedge bundle.</li>
 * </ol>
 * The stages run alternated, ROUNDS times each, and the median of each is printed. The child class
 * path is only the folder of this class and the framework jar (bin/ of the distribution, else the
 * one on this class path), not the bench class path: a JVM opens every jar of its class path on a
 * service or resource look-up, which the container (5 jars) does not pay. Classes are counted with
 * {@code jcmd PID VM.metaspace} after RSS and threads are read (attaching adds a thread and classes).
 * Needs openssl. From distribution/ (or distribution/bench/floor.sh, which compiles it):
 *
 * <pre>javac -nowarn -cp "target/test-classes:$(cat target/bench.cp)" -d target/test-classes src/test/java/io/tedge/bench/JvmFloor.java
 * java -cp "target/test-classes:$(cat target/bench.cp)" io.tedge.bench.JvmFloor [DIST_HOME=target/tedge [ROUNDS=3]]</pre>
 *
 * Output, one line per child and a median per stage; on HotSpot 17.0.15 (x86_64):
 *
 * <pre>floor idle: 35032 KiB (34.2 MiB), 13 threads, 724 classes loaded (679 shared)
 * floor tls: 52164 KiB (50.9 MiB), 14 threads, 2473 classes loaded (1008 shared)
 * floor felix: 60756 KiB (59.3 MiB), 24 threads, 3269 classes loaded (1160 shared)
 * ...
 * floor idle median: 35068 KiB (34.2 MiB), 13 threads, 724 classes loaded (679 shared)
 * floor tls median: 52224 KiB (51.0 MiB), 14 threads, 2473 classes loaded (1008 shared) (+16.8 MiB over the stage before)
 * floor felix median: 60756 KiB (59.3 MiB), 24 threads, 3269 classes loaded (1160 shared) (+8.3 MiB over the stage before)</pre>
 */
public final class JvmFloor {
    private JvmFloor() {
    }

    /** bin/tedged's default options, without the CDS archive of the first run. */
    static final List<String> CONTAINER_FLAGS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx96m", "-Xmn3m", "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=20", "-Xss512k", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=32m", "-XX:-UsePerfData",
            "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=5");

    /**
     * How long a child runs after "ready" before its RSS is read. Deliberate: the container's RSS
     * (IdleBench, bench/memory.sh) is read 15 s after its cloud links connected, so the floor is
     * taken at the same age, after the start-up garbage, the first compilations and the first pings.
     */
    static final Duration SETTLE = Duration.ofSeconds(15);

    static final List<String> STAGES = List.of("idle", "tls", "felix");

    /** The PKCS12 password (a constant: the child does not load this class for it). */
    static final String PASS = "floor";

    /** Child JVMs and openssl servers still running, ended by {@link #cleanup}. */
    static final List<Process> PROCESSES = new CopyOnWriteArrayList<>();
    static volatile Path tmp;

    record Sample(long rssKib, long threads, long classes, long shared) {
    }

    public static void main(String[] a) throws Exception {
        Path home = Path.of(a.length > 0 ? a[0] : "target/tedge").toAbsolutePath();
        int rounds = a.length > 1 ? Integer.parseInt(a[1]) : 3;
        Runtime.getRuntime().addShutdownHook(new Thread(JvmFloor::cleanup, "floor-cleanup"));
        try {
            run(home, rounds);
        } finally {
            cleanup();
        }
    }

    static void run(Path home, int rounds) throws Exception {
        for (String b : Osgi.BUNDLES) {
            if (!Files.isRegularFile(home.resolve("bundle/" + b + ".jar"))) throw new IllegalStateException("no " + b + ".jar in " + home + "/bundle");
        }
        Path framework = frameworkJar(home);
        tmp = Files.createTempDirectory("tedge-floor");
        pki(tmp);
        Files.createDirectories(tmp.resolve("deploy"));
        int port1 = server(tmp);
        int port2 = server(tmp);
        Path classes = Path.of(JvmFloor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String childCp = classes + File.pathSeparator + framework;
        System.out.printf("JvmFloor: java %s, %s, settle %d s, %d rounds, framework %s%n", System.getProperty("java.version"),
                String.join(" ", CONTAINER_FLAGS), SETTLE.toSeconds(), rounds, framework);
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (String stage : STAGES) {
                Sample s = measure(stage, childCp, home, port1, port2, r);
                samples.computeIfAbsent(stage, k -> new ArrayList<>()).add(s);
                System.out.println(line("floor " + stage, s));
            }
        }
        long previous = -1;
        for (String stage : STAGES) {
            List<Sample> l = samples.get(stage);
            Sample m = new Sample(median(l, Sample::rssKib), median(l, Sample::threads), median(l, Sample::classes), median(l, Sample::shared));
            String delta = previous < 0 ? "" : String.format(" (%+.1f MiB over the stage before)", (m.rssKib - previous) / 1024.0);
            System.out.println(line("floor " + stage + " median", m) + delta);
            previous = m.rssKib;
        }
    }

    static String line(String what, Sample s) {
        String cls = s.classes < 0 ? "? classes loaded" : String.format("%d classes loaded (%d shared)", s.classes, s.shared);
        return String.format("%s: %d KiB (%.1f MiB), %d threads, %s", what, s.rssKib, s.rssKib / 1024.0, s.threads, cls);
    }

    static long median(List<Sample> l, java.util.function.ToLongFunction<Sample> f) {
        long[] v = l.stream().mapToLong(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The distribution's framework jar, else the one on this class path (from ~/.m2). */
    static Path frameworkJar(Path home) {
        Path bin = home.resolve("bin/org.apache.felix.framework.jar");
        if (Files.isRegularFile(bin)) return bin;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (Path.of(e).getFileName().toString().startsWith("org.apache.felix.framework-")) return Path.of(e).toAbsolutePath();
        }
        throw new IllegalStateException("no org.apache.felix.framework jar in " + home + "/bin or on the class path");
    }

    /** One child JVM at one stage: started, ready, settled, measured, ended. */
    static Sample measure(String stage, String childCp, Path home, int port1, int port2, int round) throws Exception {
        Path storage = tmp.resolve("felix-cache-" + stage + "-" + round);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(CONTAINER_FLAGS);
        cmd.addAll(List.of("-cp", childCp, Child.class.getName(), stage, tmp.toString(), Integer.toString(port1), Integer.toString(port2),
                home.toString(), storage.toString()));
        // stdin stays an open pipe: the child ends when it reads end of file (this JVM gone)
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        PROCESSES.add(p);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String l;
            while ((l = out.readLine()) != null && !l.equals("ready")) System.out.println("  " + stage + " child: " + l);
            if (l == null) throw new IllegalStateException(stage + " child ended before ready, exit " + p.waitFor());
            if (p.waitFor(SETTLE.toMillis(), TimeUnit.MILLISECONDS)) throw new IllegalStateException(stage + " child ended while settling, exit " + p.exitValue());
            long pid = p.pid();
            long rss = status(pid, "VmRSS");
            long threads = status(pid, "Threads");
            long[] cls = classes(pid);
            return new Sample(rss, threads, cls[0], cls[1]);
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            PROCESSES.remove(p);
        }
    }

    static long status(long pid, String key) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith(key + ":")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no " + key + " in /proc/" + pid + "/status");
    }

    static final Pattern METASPACE_TOTAL = Pattern.compile("Total Usage - \\d+ loaders, (\\d+) classes \\((\\d+) shared\\)");

    /** Classes loaded and of them from the CDS archive, {-1, -1} when jcmd does not tell. */
    static long[] classes(long pid) throws Exception {
        Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), "VM.metaspace")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        j.waitFor();
        Matcher m = METASPACE_TOTAL.matcher(out);
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : new long[] {-1, -1};
    }

    static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
    }

    /** A CA, a server certificate for 127.0.0.1/localhost, a device certificate in client.p12. */
    static void pki(Path d) throws Exception {
        String ec = "ec_paramgen_curve:P-256";
        openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", ec, "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
                "/CN=floor-ca");
        Files.writeString(d.resolve("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        Files.writeString(d.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
        for (String[] who : new String[][] {{"server", "/CN=localhost"}, {"client", "/CN=floor-device"}}) {
            openssl(d, "req", "-newkey", "ec", "-pkeyopt", ec, "-nodes", "-keyout", who[0] + ".key", "-out", who[0] + ".csr", "-subj", who[1]);
            openssl(d, "x509", "-req", "-in", who[0] + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out",
                    who[0] + ".pem", "-extfile", who[0] + ".ext");
        }
        openssl(d, "pkcs12", "-export", "-inkey", "client.key", "-in", "client.pem", "-certfile", "ca.pem", "-name", "device", "-passout",
                "pass:" + PASS, "-out", "client.p12");
    }

    /** An openssl s_server that demands a client certificate and echoes lines reversed; its port once it accepts. */
    static int server(Path d) throws Exception {
        for (int attempt = 0;; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
                port = s.getLocalPort();
            }
            Process p = new ProcessBuilder("openssl", "s_server", "-rev", "-Verify", "1", "-CAfile", "ca.pem", "-cert", "server.pem", "-key",
                    "server.key", "-accept", "127.0.0.1:" + port).directory(d.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            PROCESSES.add(p);
            CountDownLatch accepting = new CountDownLatch(1);
            StringBuilder log = new StringBuilder();
            // drains the server's output for as long as it runs (a few lines per connection)
            Thread drain = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        if (accepting.getCount() > 0) log.append(l).append('\n');
                        if (l.equals("ACCEPT")) accepting.countDown();
                    }
                } catch (IOException e) {
                    // the server ended
                }
                accepting.countDown();
            }, "s_server-" + port);
            drain.setDaemon(true);
            drain.start();
            accepting.await();
            if (p.isAlive() && log.indexOf("ACCEPT") >= 0) return port;
            p.destroy();
            PROCESSES.remove(p);
            if (attempt == 2) throw new IllegalStateException("openssl s_server did not start:\n" + log);
        }
    }

    static synchronized void cleanup() {
        for (Process p : PROCESSES) p.destroy();
        for (Process p : PROCESSES) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        PROCESSES.clear();
        Path d = tmp;
        tmp = null;
        if (d == null) return;
        try (Stream<Path> files = Files.walk(d)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not remove " + d + ": " + e);
        }
    }

    /**
     * The child JVM: {@code stage tmp port1 port2 distHome felixStorage}. Prints "ready" when the
     * stage is reached, then waits for end of file on stdin. The TLS and Felix parts are classes of
     * their own, so that an earlier stage does not even load (or verify against) their classes.
     */
    static final class Child {
        private Child() {
        }

        public static void main(String[] a) throws Exception {
            String stage = a[0];
            Path dir = Path.of(a[1]);
            ServerSocket listening = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
            if (!stage.equals("idle")) Links.open(dir, Integer.parseInt(a[2]), Integer.parseInt(a[3]));
            if (stage.equals("felix")) Osgi.start(Path.of(a[4]), Path.of(a[5]), dir.resolve("deploy"));
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // the parent never writes; end of file: it is gone
            }
            listening.close();
            System.exit(0);
        }
    }

    /** Two TLS links with the device certificate, pinged every second by one scheduler thread. */
    static final class Links {
        private Links() {
        }

        static final byte[] PING = "ping\n".getBytes(StandardCharsets.US_ASCII);
        static final byte[] PONG = "gnip\n".getBytes(StandardCharsets.US_ASCII);
        static final List<SSLSocket> LINKS = new ArrayList<>();

        static void open(Path dir, int... ports) throws Exception {
            char[] pass = PASS.toCharArray();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(dir.resolve("client.p12"))) {
                keys.load(in, pass);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, pass);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(dir.resolve("ca.pem"))) {
                trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            for (int port : ports) {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
                SSLParameters p = s.getSSLParameters();
                p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.setSoTimeout(10_000);
                s.startHandshake();
                ping(s); // the link works before "ready"
                LINKS.add(s);
            }
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "floor-ping");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(() -> {
                try {
                    for (SSLSocket s : LINKS) ping(s);
                } catch (Exception e) {
                    System.err.println("ping failed: " + e);
                    Runtime.getRuntime().halt(3);
                }
            }, 1, 1, TimeUnit.SECONDS);
        }

        static void ping(SSLSocket s) throws IOException {
            OutputStream out = s.getOutputStream();
            out.write(PING);
            out.flush();
            byte[] back = s.getInputStream().readNBytes(PONG.length);
            if (!Arrays.equals(back, PONG)) throw new IOException("unexpected answer: " + new String(back, StandardCharsets.US_ASCII));
        }
    }

    /** Felix with the platform bundles the container needs besides its own, from the distribution's bundle/. */
    static final class Osgi {
        private Osgi() {
        }

        /** The bundles of the felix stage, as named in the distribution's bundle/ (start order). */
        static final List<String> BUNDLES = List.of("org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component",
                "org.apache.felix.log", "org.apache.felix.configadmin", "org.apache.felix.scr", "org.apache.felix.fileinstall");

        static Framework framework;

        static void start(Path home, Path storage, Path deploy) throws Exception {
            Map<String, String> props = new HashMap<>();
            props.put("org.osgi.framework.storage", storage.toString());
            props.put("org.osgi.framework.storage.clean", "onFirstInit");
            // as io.tedge.launcher.Main sets them
            props.put("felix.log.level", "2");
            props.put("org.apache.felix.log.maxSize", "20");
            props.put("org.apache.felix.log.storeDebug", "false");
            props.put("felix.shutdown.hook", "false");
            props.put("felix.fileinstall.dir", deploy.toString());
            props.put("felix.fileinstall.poll", "1000");
            props.put("felix.fileinstall.noInitialDelay", "true");
            props.put("felix.fileinstall.log.level", "2");
            props.put("felix.fileinstall.bundles.new.start", "true");
            props.put("felix.fileinstall.filter", ".*\\.(jar|cfg|config)");
            framework = new org.apache.felix.framework.FrameworkFactory().newFramework(props);
            framework.start();
            BundleContext ctx = framework.getBundleContext();
            List<Bundle> bundles = new ArrayList<>();
            for (String name : BUNDLES) {
                Path jar = home.resolve("bundle/" + name + ".jar");
                // installed from a stream (copied into the cache), as the container installs its platform bundles
                try (InputStream in = Files.newInputStream(jar)) {
                    bundles.add(ctx.installBundle(jar.toUri().toString(), in));
                }
            }
            for (Bundle b : bundles) b.start();
            for (Bundle b : bundles) {
                if (b.getState() != Bundle.ACTIVE) throw new IllegalStateException(b.getSymbolicName() + " not active: " + b.getState());
            }
        }
    }
}
