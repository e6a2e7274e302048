package io.tedge.itest;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

import io.tedge.api.Bus;

/** Shared helpers of the in-framework tests: the config dir, free ports, bounded waits. */
final class Support {
    private Support() {
    }

    static BundleContext context() {
        return FrameworkUtil.getBundle(Support.class).getBundleContext();
    }

    static Path configDir() {
        return Path.of(context().getProperty("tedge.config.dir"));
    }

    static void writeToml(String toml) throws IOException {
        Files.createDirectories(configDir());
        Path tmp = configDir().resolve("tedge.toml.it");
        Files.writeString(tmp, toml, StandardCharsets.UTF_8);
        Files.move(tmp, configDir().resolve("tedge.toml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(20);
        }
    }

    /** Waits for the Bus service whose MQTT URI ends with the port. */
    static Bus bus(int port, Duration timeout) throws InterruptedException, InvalidSyntaxException {
        BundleContext ctx = context();
        ServiceTracker<Bus, Bus> t = new ServiceTracker<>(ctx,
                ctx.createFilter("(&(objectClass=" + Bus.class.getName() + ")(tedge.mqtt.uri=*:" + port + "))"), null);
        t.open();
        try {
            Bus b = t.waitForService(timeout.toMillis());
            if (b == null) throw new AssertionError("no Bus on port " + port + " within " + timeout);
            return b;
        } finally {
            t.close();
        }
    }

    /** Starts the embedded broker on a fresh port and returns it. */
    static int embeddedBrokerOnFreePort() throws Exception {
        int port = freePort();
        writeToml("[mqtt]\nport = " + port + "\n");
        bus(port, Duration.ofSeconds(20));
        return port;
    }
}
