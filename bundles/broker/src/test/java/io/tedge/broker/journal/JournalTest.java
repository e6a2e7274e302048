package io.tedge.broker.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;

class JournalTest {
    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> drain(Journal j, long from) throws IOException {
        List<String> out = new ArrayList<>();
        JournalReader r = j.reader(from);
        BusMessage m;
        while ((m = r.next()) != null) out.add(m.topic() + " " + m.text());
        return out;
    }

    @Test
    void appendedRecordsAreReadBackAfterFlushAndAfterReopen() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            long p1 = j.append("a/b", b("one"), 1, false);
            long p2 = j.append("c", b("two"), 2, true);
            // the writer thread writes them soon; flush waits for that
            j.flush(p2);
            assertThat(j.end()).isGreaterThanOrEqualTo(p2);
            assertThat(p2).isGreaterThan(p1);
            assertThat(drain(j, 0)).containsExactly("a/b one", "c two");
            assertThat(drain(j, p1)).containsExactly("c two");
        }
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            JournalReader r = j.reader(0);
            BusMessage m1 = r.next();
            BusMessage m2 = r.next();
            assertThat(m1.qos()).isEqualTo(1);
            assertThat(m2.qos()).isEqualTo(2);
            assertThat(m2.retained()).isTrue();
            assertThat(Journal.recordStart(m2)).isEqualTo(m1.position());
            assertThat(r.next()).isNull();
        }
    }

    @Test
    void tornTailIsCutAtTheLastValidRecordOnOpen() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            for (int i = 0; i < 10; i++) j.write("t", b("m" + i), 1, false);
        }
        Path seg;
        try (Stream<Path> s = Files.list(dir)) {
            seg = s.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
        long size = Files.size(seg);
        // half a record at the end, as a kill -9 in the middle of a write leaves it
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(size - 3);
        }
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            assertThat(drain(j, 0)).hasSize(9).last().isEqualTo("t m8");
            j.write("t", b("after"), 1, false);
            assertThat(drain(j, 0)).hasSize(10).last().isEqualTo("t after");
        }
    }

    @Test
    void garbageAtTheTailOrAFlippedByteNeverFailsTheOpen() throws Exception {
        Random rnd = new Random(42);
        for (int round = 0; round < 20; round++) {
            Path d = dir.resolve("r" + round);
            try (Journal j = Journal.open(d, 1 << 20, false)) {
                for (int i = 0; i < 20; i++) j.write("t/" + i, b("payload-" + i), 1, false);
            }
            Path seg;
            try (Stream<Path> s = Files.list(d)) {
                seg = s.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow();
            }
            long size = Files.size(seg);
            long at = (long) (rnd.nextDouble() * size);
            try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
                f.seek(at);
                int old = f.read();
                f.seek(at);
                f.write(old ^ 0x5a);
            }
            try (Journal j = Journal.open(d, 1 << 20, false)) {
                List<String> got = drain(j, 0);
                assertThat(got.size()).isLessThan(20);
                for (int i = 0; i < got.size(); i++) assertThat(got.get(i)).isEqualTo("t/" + i + " payload-" + i);
                j.write("x", b("y"), 1, false);
                assertThat(drain(j, 0)).last().isEqualTo("x y");
            }
        }
    }

    @Test
    void cursorResumesAfterReopenAndSkipsWhatDoesNotMatch() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("mapper", List.of("tedge/measurements", "tedge/measurements/+")));
            j.write("tedge/measurements", b("1"), 1, false);
            j.write("other", b("x"), 1, false);
            j.write("tedge/measurements/child", b("2"), 1, false);
            List<BusMessage> got = c.poll(10, Duration.ofSeconds(1));
            assertThat(got).extracting(BusMessage::text).containsExactly("1", "2");
            c.commit(got.get(0).position());
            c.close();
        }
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("mapper", List.of("tedge/measurements", "tedge/measurements/+")));
            List<BusMessage> got = c.poll(10, Duration.ofSeconds(1));
            assertThat(got).as("uncommitted message is delivered again").extracting(BusMessage::text).containsExactly("2");
            c.commit(got.get(0).position());
            assertThat(c.poll(10, Duration.ofMillis(50))).isEmpty();
            assertThat(c.pending()).isZero();
        }
    }

    @Test
    void rewindRedeliversFromTheCommit() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("bridge", List.of("#")));
            for (int i = 0; i < 5; i++) j.write("t", b("m" + i), 1, false);
            List<BusMessage> got = c.poll(10, Duration.ofSeconds(1));
            c.commit(got.get(1).position());
            c.rewind();
            assertThat(c.poll(10, Duration.ofSeconds(1))).extracting(BusMessage::text).containsExactly("m2", "m3", "m4");
        }
    }

    @Test
    void newCursorStartsAtTheEnd() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            j.write("t", b("old"), 1, false);
            JournalConsumer c = new JournalConsumer(j, j.cursor("late", List.of("#")));
            j.write("t", b("new"), 1, false);
            assertThat(c.poll(10, Duration.ofSeconds(1))).extracting(BusMessage::text).containsExactly("new");
        }
    }

    @Test
    void pollWaitsForAnAppendFromAnotherThread() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("w", List.of("#")));
            Thread t = new Thread(() -> {
                try {
                    j.write("t", b("late"), 1, false);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            t.start();
            assertThat(c.poll(10, Duration.ofSeconds(10))).extracting(BusMessage::text).containsExactly("late");
            t.join();
        }
    }

    @Test
    void fullJournalDropsTheOldestUnconsumedWithACount() throws Exception {
        try (Journal j = Journal.open(dir, 1024 * 1024, false)) {
            JournalConsumer slow = new JournalConsumer(j, j.cursor("slow", List.of("#")));
            byte[] payload = new byte[1000];
            int n = 3000; // ~3 MB into a 1 MB journal
            for (int i = 0; i < n; i++) j.write("t/" + i, payload, 1, false);
            assertThat(j.sizeOnDisk()).isLessThanOrEqualTo(1024 * 1024 + 300 * 1024);
            long got = 0;
            List<BusMessage> batch;
            String first = null;
            while (!(batch = slow.poll(1000, Duration.ofMillis(10))).isEmpty()) {
                if (first == null) first = batch.get(0).topic();
                got += batch.size();
                slow.commit(batch.get(batch.size() - 1).position());
            }
            // the drops are counted on a background thread (the writer does not wait for it)
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (got + slow.dropped() < n && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(slow.dropped()).isGreaterThan(0);
            assertThat(got + slow.dropped()).as("every message is either delivered or counted as dropped").isEqualTo(n);
            assertThat(first).isNotEqualTo("t/0");
            assertThat(j.droppedTotal()).isEqualTo(slow.dropped());
        }
    }

    @Test
    void consumedSegmentsAreDeletedEarly() throws Exception {
        try (Journal j = Journal.open(dir, 8 * 1024 * 1024, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("fast", List.of("#")));
            byte[] payload = new byte[1000];
            for (int i = 0; i < 5000; i++) {
                j.write("t", payload, 1, false);
                for (BusMessage m : c.poll(100, Duration.ZERO)) c.commit(m.position());
            }
            assertThat(c.dropped()).isZero();
            assertThat(j.sizeOnDisk()).isLessThan(3 * 1024 * 1024);
        }
    }

    @Test
    void secondOpenOfTheSameJournalIsRefused() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Journal.open(dir, 1 << 20, false))
                    .isInstanceOf(IOException.class).hasMessageContaining("in use by another process");
        }
    }

    @Test
    void anInterruptedCallerNeitherFailsNorBreaksTheJournal() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("i", List.of("#")));
            // a FileChannel closes itself when an interrupted thread uses it; the journal must not care
            Thread.currentThread().interrupt();
            j.write("t", b("while interrupted"), 1, false);
            assertThat(Thread.currentThread().isInterrupted()).as("the caller's interrupt is kept").isTrue();
            List<BusMessage> got;
            try {
                got = c.poll(10, Duration.ZERO);
            } finally {
                Thread.interrupted();
            }
            assertThat(got).extracting(BusMessage::text).containsExactly("while interrupted");
            j.write("t", b("after"), 1, false);
            assertThat(drain(j, 0)).containsExactly("t while interrupted", "t after");
        }
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            assertThat(drain(j, 0)).containsExactly("t while interrupted", "t after");
        }
    }

    @Test
    void readersInterruptedAtRandomWhileWritersWriteLoseNothing() throws Exception {
        try (Journal j = Journal.open(dir, 8 << 20, false)) {
            int n = 5000;
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < n; i++) j.write("t", b("m" + i), 1, false);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            JournalConsumer c = new JournalConsumer(j, j.cursor("r", List.of("#")));
            Thread reader = new Thread(() -> {
                while (seen.size() < n) {
                    try {
                        for (BusMessage m : c.poll(100, Duration.ofMillis(50))) seen.add(m.text());
                    } catch (InterruptedException e) {
                        // interrupted in the wait: go on
                    }
                }
            });
            reader.start();
            writer.start();
            while (writer.isAlive()) {
                // an interrupt every 50 µs: far more than any component sends, at random points of the I/O
                reader.interrupt();
                writer.interrupt();
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
            writer.join();
            reader.join(10_000);
            assertThat(seen).hasSize(n);
            for (int i = 0; i < n; i++) assertThat(seen.get(i)).isEqualTo("m" + i);
        }
    }

    @Test
    void aWaitingConsumerSleepsThroughOtherTopicsAndWakesForItsOwn() throws Exception {
        try (Journal j = Journal.open(dir, 8 * 1024 * 1024, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("a-only", List.of("a/#")));
            java.util.concurrent.CompletableFuture<List<BusMessage>> got = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return c.poll(10, Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 0; i < 200; i++) j.write("b/" + (i % 3), b("other " + i), 1, false); // batches of topics it does not want
            for (int i = 0; i < 40; i++) j.append("c/" + i, b("many topics"), 1, false); // a batch with more distinct topics than are listed
            j.write("a/1", b("mine"), 1, false);
            List<BusMessage> batch = got.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(batch).extracting(BusMessage::topic).containsExactly("a/1");
            assertThat(new String(batch.get(0).payload(), StandardCharsets.UTF_8)).isEqualTo("mine");
            assertThat(c.pending()).isEqualTo(1); // not committed yet
            c.commit(batch.get(0).position());
            assertThat(c.pending()).isZero();
        }
    }

    @Test
    void readerPassesOverUnwantedRecordsAndKeepsTheirPositions() throws Exception {
        try (Journal j = Journal.open(dir, 8 * 1024 * 1024, false)) {
            j.write("x/1", b("one"), 1, false);
            j.write("x/1", b("two"), 1, false);
            long p3 = j.write("y/1", b("three"), 1, false);
            long p4 = j.write("x/1", b("four"), 1, false);
            JournalReader r = j.reader(0);
            BusMessage m = r.next(t -> t.startsWith("y/"));
            assertThat(m.topic()).isEqualTo("y/1");
            assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("three");
            assertThat(m.position()).isEqualTo(p3);
            assertThat(r.next(t -> t.startsWith("y/"))).isNull();
            assertThat(r.position()).isEqualTo(p4); // past the unwanted record at the end
            r.seek(0);
            List<String> all = new ArrayList<>();
            for (BusMessage x; (x = r.next()) != null; ) all.add(x.topic() + "=" + new String(x.payload(), StandardCharsets.UTF_8));
            assertThat(all).containsExactly("x/1=one", "x/1=two", "y/1=three", "x/1=four");
        }
    }

    @Test
    void segmentNamesAreAsciiDigitsWhateverTheDefaultLocale() throws Exception {
        // with Thai digits a segment would be named in them, and a restart under another LANG would order the files wrongly
        java.util.Locale before = java.util.Locale.getDefault();
        java.util.Locale.setDefault(java.util.Locale.forLanguageTag("th-TH-u-nu-thai"));
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            j.flush(j.append("a", b("one"), 1, false));
        } finally {
            java.util.Locale.setDefault(before);
        }
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".seg")))
                    .isNotEmpty().allMatch(n -> n.matches("[0-9]{20}\\.seg"));
        }
    }

    @Test
    void anIdleConsumerGivesItsReadBufferBackAndReadsOnWhereItWas() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 22, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("idle", List.of("#")));
            long p = j.append("t", b("first"), 1, false);
            j.flush(p);
            assertThat(c.poll(10, Duration.ofMillis(10))).extracting(BusMessage::text).containsExactly("first");
            assertThat(c.holdsReadBuffer()).isTrue();
            // a whole timeout with nothing: the 4-64 KiB read-ahead goes back to the heap
            assertThat(c.poll(10, Duration.ofMillis(20))).isEmpty();
            assertThat(c.holdsReadBuffer()).isFalse();
            // then a burst (small records, one larger than the read-ahead, small again) reads on in order
            byte[] big = new byte[100_000];
            new Random(7).nextBytes(big);
            List<String> want = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                if (i == 1000) {
                    p = j.append("big", big, 1, false);
                    want.add("big");
                }
                p = j.append("t", b("m" + i), 1, false);
                want.add("m" + i);
            }
            j.flush(p);
            List<BusMessage> got = new ArrayList<>();
            List<BusMessage> batch;
            while (!(batch = c.poll(300, Duration.ofMillis(10))).isEmpty()) got.addAll(batch);
            assertThat(got).extracting(m -> m.topic().equals("big") ? "big" : m.text()).containsExactlyElementsOf(want);
            assertThat(got.get(1000).payload()).isEqualTo(big);
            assertThat(c.holdsReadBuffer()).isFalse();
        }
    }

    @Test
    void aReaderThatStartedOnATrickleGrowsItsReadAheadForABurst() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 22, false)) {
            long p = j.append("t", b("x"), 1, false);
            j.flush(p);
            JournalReader r = j.reader(0);
            assertThat(r.next().text()).isEqualTo("x");
            assertThat(r.next()).isNull();
            for (int i = 0; i < 5000; i++) p = j.append("t/" + (i % 7), b("burst " + i), 1, false);
            j.flush(p);
            for (int i = 0; i < 5000; i++) {
                BusMessage m = r.next();
                assertThat(m.topic() + " " + m.text()).isEqualTo("t/" + (i % 7) + " burst " + i);
            }
            assertThat(r.next()).isNull();
            r.trim();
            p = j.append("t", b("after trim"), 1, false);
            j.flush(p);
            assertThat(r.next().text()).isEqualTo("after trim");
        }
    }
}
