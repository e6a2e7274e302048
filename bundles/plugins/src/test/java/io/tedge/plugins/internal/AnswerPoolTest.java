package io.tedge.plugins.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** A flood of `tedge plugins` requests keeps a bounded number waiting; the rest are dropped, without an error. */
class AnswerPoolTest {

    @Test
    void aFloodOfRequestsKeepsAtMostTheBoundWaiting() throws Exception {
        ThreadPoolExecutor pool = PluginInventory.answerPool();
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger answered = new AtomicInteger();
        try {
            pool.execute(() -> {
                started.countDown();
                try {
                    busy.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 100_000; i++) pool.execute(answered::incrementAndGet);
            assertThat(pool.getQueue()).hasSize(PluginInventory.MAX_WAITING);
            busy.countDown();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (answered.get() < PluginInventory.MAX_WAITING && System.nanoTime() < end) Thread.onSpinWait();
            assertThat(answered.get()).isEqualTo(PluginInventory.MAX_WAITING);
            assertThat(pool.getLargestPoolSize()).isEqualTo(1);
        } finally {
            busy.countDown();
            pool.shutdownNow();
        }
    }
}
