package io.tedge.broker.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bus.backlog: the uncommitted count of an existing cursor, read without opening or creating it. */
class JournalBacklogTest {
    @TempDir
    Path dir;

    @Test
    void backlogOfACursorWhoseConsumerIsGoneAndOfOneThatNeverExisted() throws Exception {
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            JournalConsumer c = new JournalConsumer(j, j.cursor("mapper-acme", List.of("tedge/measurements")));
            long last = 0;
            for (int i = 0; i < 5; i++) last = j.append("tedge/measurements", ("m" + i).getBytes(StandardCharsets.UTF_8), 1, false);
            j.append("other/topic", "x".getBytes(StandardCharsets.UTF_8), 1, false);
            j.flush(j.appendEnd());
            c.close(); // the mapper is gone; its cursor stays
            assertThat(JournalConsumer.backlog(j, "mapper-acme")).isEqualTo(5);
            assertThat(JournalConsumer.backlog(j, "mapper-nobody")).isEqualTo(-1);
            assertThat(j.cursors()).extracting(Cursor::name).containsExactly("mapper-acme"); // nothing created
        }
    }

    @Test
    void anInterruptedCommitterStillStoresTheCursor() throws Exception {
        long pos;
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            Cursor cursor = j.cursor("bridge-acme", List.of("a/#"));
            JournalConsumer c = new JournalConsumer(j, cursor);
            pos = j.append("a/b", "x".getBytes(StandardCharsets.UTF_8), 1, false);
            j.flush(j.appendEnd());
            Thread.currentThread().interrupt(); // as when a component stops its consumer thread
            c.commit(pos);
            j.saveCursors();
            boolean stillInterrupted = Thread.interrupted();
            assertThat(cursor.dirty).as("stored, not failed with ClosedByInterruptException").isFalse();
            assertThat(stillInterrupted).as("the interrupt is kept for the caller").isTrue();
        }
        try (Journal j = Journal.open(dir, 1 << 20, false)) {
            assertThat(j.cursors()).filteredOn(x -> x.name().equals("bridge-acme")).singleElement()
                    .extracting(Cursor::committedPosition).isEqualTo(pos);
        }
    }
}
