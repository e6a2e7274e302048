package io.tedge.mapper.internal.collectd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The batching rules of thin-edge.io's batcher crate, with its test scenarios' numbers (window 50, max delay 20, leap 0). */
class BatcherTest {
    private static final long MS = 1_000_000L;
    private final Batcher b = new Batcher(50 * MS, 20 * MS, 0, 100);

    private static CollectdMessage v(String key, long timeMs) {
        return new CollectdMessage("g", key, 1, timeMs * MS, -1);
    }

    private static List<String> keys(Batcher.Batch batch) {
        return batch.values().stream().map(m -> m.key() + "@" + m.epochNanos() / MS).toList();
    }

    @Test
    void aSingleValueIsOneBatchClosedAtItsEndPlusTheDelay() {
        assertThat(b.add(1 * MS, v("a", 0))).isEqualTo(Batcher.Outcome.ADDED);
        assertThat(b.nextDeadline()).isEqualTo(70 * MS);
        assertThat(b.closed(69 * MS)).isEmpty();
        List<Batcher.Batch> closed = b.closed(70 * MS);
        assertThat(closed).hasSize(1);
        assertThat(keys(closed.get(0))).containsExactly("a@0");
        assertThat(b.held()).isZero();
    }

    @Test
    void valuesWithinTheWindowShareABatch() {
        b.add(1 * MS, v("a", 0));
        b.add(12 * MS, v("b", 10));
        b.add(45 * MS, v("c", 40));
        List<Batcher.Batch> closed = b.closed(70 * MS);
        assertThat(closed).hasSize(1);
        assertThat(keys(closed.get(0))).containsExactly("a@0", "b@10", "c@40");
    }

    @Test
    void aRepeatedKeySplitsTheBatchAtTheMidpoint() {
        b.add(1 * MS, v("a", 0));
        b.add(1 * MS, v("b", 0));
        b.add(31 * MS, v("a", 30));
        List<Batcher.Batch> closed = b.closed(100 * MS);
        assertThat(closed).hasSize(2);
        assertThat(keys(closed.get(0))).containsExactly("a@0", "b@0");
        assertThat(keys(closed.get(1))).containsExactly("a@30");
        assertThat(closed.get(0).end).isEqualTo(15 * MS);
    }

    @Test
    void theSameValueTwiceIsADuplicate() {
        b.add(1 * MS, v("a", 0));
        assertThat(b.add(2 * MS, v("a", 0))).isEqualTo(Batcher.Outcome.DUPLICATE);
        assertThat(b.held()).isEqualTo(1);
    }

    @Test
    void valuesTooOldOrInTheFutureAreDiscarded() {
        assertThat(b.add(100 * MS, v("a", 79))).isEqualTo(Batcher.Outcome.TOO_OLD);
        assertThat(b.add(100 * MS, v("a", 101))).isEqualTo(Batcher.Outcome.IN_THE_FUTURE);
        assertThat(b.add(100 * MS, v("a", 80))).isEqualTo(Batcher.Outcome.ADDED);
    }

    @Test
    void aLaterValueStartsANewBatchAfterTheEndOfThePrevious() {
        b.add(1 * MS, v("a", 0));
        b.add(60 * MS, v("a", 55));
        List<Batcher.Batch> first = b.closed(70 * MS);
        assertThat(first).hasSize(1);
        assertThat(keys(first.get(0))).containsExactly("a@0");
        assertThat(b.closed(124 * MS)).isEmpty();
        assertThat(keys(b.closed(125 * MS).get(0))).containsExactly("a@55");
    }

    @Test
    void boundedInValues() {
        Batcher small = new Batcher(50 * MS, 20 * MS, 0, 2);
        small.add(1 * MS, v("a", 0));
        small.add(1 * MS, v("b", 0));
        assertThat(small.add(1 * MS, v("c", 0))).isEqualTo(Batcher.Outcome.FULL);
        small.closed(100 * MS);
        assertThat(small.add(100 * MS, v("c", 100))).isEqualTo(Batcher.Outcome.ADDED);
    }

    @Test
    void flushEmptiesEverything() {
        b.add(1 * MS, v("a", 0));
        b.add(1 * MS, v("a2", 0));
        assertThat(b.flush()).hasSize(1);
        assertThat(b.held()).isZero();
        assertThat(b.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }
}
