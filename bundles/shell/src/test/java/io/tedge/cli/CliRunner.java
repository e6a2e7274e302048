package io.tedge.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.tedge.config.ConfigRegistry;

/** Runs {@code tedge ARGS} in-process with captured output. */
final class CliRunner {

    /** Captured output that can be waited on for a condition, with a deadline. */
    static final class Output extends ByteArrayOutputStream {
        @Override
        public synchronized void write(byte[] b, int off, int len) {
            super.write(b, off, len);
            notifyAll();
        }

        @Override
        public synchronized void write(int b) {
            super.write(b);
            notifyAll();
        }

        synchronized String text() {
            return toString(StandardCharsets.UTF_8);
        }

        /** Waits until the text satisfies the condition; false when the timeout passed first. */
        synchronized boolean await(Predicate<String> condition, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!condition.test(text())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }
    }

    record Result(int code, String out, String err) {
    }

    final Path configDir;
    final ConfigRegistry registry;
    final AtomicInteger fullRegistryCalls = new AtomicInteger();
    final Output out = new Output();
    final Output err = new Output();

    CliRunner(Path configDir) {
        this(configDir, ConfigRegistry.core());
    }

    CliRunner(Path configDir, ConfigRegistry registry) {
        this.configDir = configDir;
        this.registry = registry;
    }

    CommandContext context() {
        return new CommandContext(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), configDir, () -> {
                    fullRegistryCalls.incrementAndGet();
                    return registry;
                }, prompt -> null, false);
    }

    /** One command with fresh output buffers. */
    Result run(String... args) {
        out.reset();
        err.reset();
        int rc = Tedge.run(List.of(args), context());
        return new Result(rc, out.text(), err.text());
    }
}
