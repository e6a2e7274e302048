package io.tedge.broker.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.tedge.api.BusMessage;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.journal.JournalReader;

/** A journal that cannot write (yet): nothing is acknowledged that is not stored. */
class JournalFaultTest {
    @TempDir
    Path dir;
    FaultyDisk disk = new FaultyDisk();
    Journal journal;
    Broker broker;
    MqttServer server;

    @BeforeEach
    void start() throws IOException {
        journal = Journal.open(dir.resolve("journal"), 16 << 20, false, disk);
        broker = new Broker(journal, dir.resolve("state"), Broker.Settings.defaults());
        server = MqttServer.start(broker, "127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        CountDownLatch g = disk.gate;
        if (g != null) g.countDown();
        disk.full = false;
        server.close();
        broker.close();
        journal.close();
    }

    private Raw connected(String id) throws IOException {
        return Raw.connected(server.port(), id);
    }

    private List<String> journaled() throws IOException {
        List<String> out = new ArrayList<>();
        JournalReader r = journal.reader(0);
        BusMessage m;
        while ((m = r.next()) != null) out.add(m.text());
        return out;
    }

    @Test
    void whileTheJournalIsNotWrittenNoAnswerOfTheBatchGoesOut() throws Exception {
        // issue 8, item 3, replayed byte for byte: PUBLISH q1 + SUBSCRIBE + PUBLISH q1 in one TCP write
        byte[] batch = Raw.concat(
                Raw.hex("32 0a 0003 612f62 0001 6f6e65"),   // PUBLISH QoS 1 "a/b" id 1 "one"
                Raw.hex("82 08 0002 0003 782f23 01"),       // SUBSCRIBE id 2 "x/#" QoS 1
                Raw.hex("32 0a 0003 612f62 0003 74776f"));  // PUBLISH QoS 1 "a/b" id 3 "two"
        try (Raw r = connected("batch")) {
            disk.gate = new CountDownLatch(1); // the disk takes its time
            r.send(batch);
            r.socket.setSoTimeout(1500);
            assertThatThrownBy(() -> r.in.read()).as("no PUBACK, SUBACK or PUBACK while the journal is not written")
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(journaled()).isEmpty();
            disk.gate.countDown();
            r.socket.setSoTimeout(5000);
            assertThat(Raw.hex(r.read(13))).isEqualTo("40020001" + "9003000201" + "40020003");
            assertThat(journaled()).containsExactly("one", "two");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"No space left on device", "Read-only file system"})
    void aJournalThatCannotWriteRefusesQos1AndRecoversWhenItCan(String error) throws Exception {
        try (Raw r = connected("before")) {
            r.send(Raw.publish("t", "stored", 1, 1, false));
            assertThat(Raw.hex(r.read(4))).isEqualTo("40020001");
        }
        disk.error = error;
        disk.full = true;
        try (Raw r = connected("during")) {
            r.send(Raw.publish("t", "not stored", 1, 2, false));
            // no PUBACK: the connection is closed without an answer
            assertThat(r.in.read()).isEqualTo(-1);
        }
        // while the journal retries, a QoS 1 publish is refused at once, and so is an in-process one
        try (Raw r = connected("during2")) {
            r.send(Raw.publish("t", "refused", 1, 3, false));
            assertThat(r.in.read()).isEqualTo(-1);
        }
        assertThatThrownBy(() -> broker.publishDurably("t", "inside".getBytes(StandardCharsets.UTF_8), 1, false)).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot write");
        // QoS 0 still flows
        try (Raw r = connected("qos0")) {
            r.send(Raw.publish("t", "fire and forget", 0, 0, false), Raw.hex("c000"));
            assertThat(Raw.hex(r.read(2))).isEqualTo("d000");
        }
        // space returns: the journal writes again within its retry period
        disk.full = false;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (journal.failure() != null && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(journal.failure()).isNull();
        try (Raw r = connected("after")) {
            r.send(Raw.publish("t", "stored again", 1, 4, false));
            assertThat(Raw.hex(r.read(4))).isEqualTo("40020004");
        }
        assertThat(journaled()).contains("stored", "stored again").doesNotContain("refused");
    }
}
