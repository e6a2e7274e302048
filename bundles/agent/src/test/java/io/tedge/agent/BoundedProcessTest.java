package io.tedge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoundedProcessTest {
    @TempDir
    Path tmp;

    @Test
    void exitCodeOutputAndInput() throws Exception {
        BoundedProcess.Result r = BoundedProcess.run(BoundedProcess.Spec.of(
                List.of("/bin/sh", "-c", "cat; echo err >&2; exit 3"), Duration.ofSeconds(30))
                .withStdin("hello\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.success()).isFalse();
        assertThat(r.stdoutText()).isEqualTo("hello\n");
        assertThat(r.stderrText()).isEqualTo("err\n");
        assertThat(r.timedOut()).isFalse();
    }

    @Test
    void argumentsAreNeverInterpretedByAShell() throws Exception {
        Path marker = tmp.resolve("pwned");
        String evil = "x; touch " + marker + " $(touch " + marker + ") `touch " + marker + "`";
        BoundedProcess.Result r = BoundedProcess.run(BoundedProcess.Spec.of(List.of("/bin/echo", evil), Duration.ofSeconds(30)));
        assertThat(r.stdoutText()).isEqualTo(evil + "\n");
        assertThat(marker).doesNotExist();
    }

    @Test
    void timeoutSendsTermThenKill() throws Exception {
        Path started = tmp.resolve("started");
        // ignores SIGTERM: only SIGKILL ends it
        BoundedProcess.Result r = BoundedProcess.run(BoundedProcess.Spec.of(
                List.of("/bin/sh", "-c", "trap '' TERM; touch " + started + "; while :; do sleep 1; done"), Duration.ofMillis(500))
                .withForcefulTimeout(Duration.ofMillis(500)));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.killed()).isTrue();
        assertThat(r.exitCode()).isEqualTo(128 + 9);

        BoundedProcess.Result t = BoundedProcess.run(BoundedProcess.Spec.of(List.of("/bin/sleep", "60"), Duration.ofMillis(300)));
        assertThat(t.timedOut()).isTrue();
        assertThat(t.killed()).isFalse();
        assertThat(t.exitCode()).isEqualTo(128 + 15);
    }

    @Test
    void capturedOutputIsBounded() throws Exception {
        BoundedProcess.Result r = BoundedProcess.run(BoundedProcess.Spec.of(
                List.of("/bin/sh", "-c", "head -c 5000000 /dev/zero; head -c 300000 /dev/zero >&2"), Duration.ofSeconds(60))
                .withLimits(1000, 100));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).hasSize(1000);
        assertThat(r.stderr()).hasSize(100);
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stderrTruncated()).isTrue();
    }

    @Test
    void aMissingProgramIsAnIOException() {
        assertThatThrownBy(() -> BoundedProcess.run(BoundedProcess.Spec.of(List.of(tmp.resolve("nope").toString()), Duration.ofSeconds(5))))
                .isInstanceOf(IOException.class);
    }

    @Test
    void anInterruptKillsTheProcess() throws Exception {
        Path pidFile = tmp.resolve("pid");
        Thread caller = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    if (Files.exists(pidFile) && !Files.readString(pidFile).isBlank()) break;
                    Thread.sleep(20);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
            caller.interrupt();
        });
        interrupter.start();
        assertThatThrownBy(() -> BoundedProcess.run(BoundedProcess.Spec.of(
                List.of("/bin/sh", "-c", "echo $$ > " + pidFile + "; exec sleep 60"), Duration.ofSeconds(60))))
                .isInstanceOf(InterruptedException.class);
        interrupter.join();
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }
}
