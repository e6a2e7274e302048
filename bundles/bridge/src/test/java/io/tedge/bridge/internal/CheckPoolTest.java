package io.tedge.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Connection checks that wait on the cloud cost a bounded number of threads, whatever the number of requests. */
class CheckPoolTest {

    @Test
    void aFloodOfChecksThatWaitIsRefusedBeyondTheBoundNotGivenAThreadEach() throws Exception {
        ThreadPoolExecutor pool = BridgeRuntime.checkPool();
        CountDownLatch cloudAnswers = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(BridgeRuntime.MAX_CHECKS_RUNNING);
        try {
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < 1000; i++) {
                try {
                    pool.execute(() -> {
                        running.countDown();
                        try {
                            cloudAnswers.await(); // as a check waiting 20 s for the cloud's answer
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    accepted++;
                } catch (RejectedExecutionException e) {
                    refused++;
                }
            }
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(accepted).isEqualTo(BridgeRuntime.MAX_CHECKS_RUNNING + BridgeRuntime.MAX_CHECKS_WAITING);
            assertThat(refused).isEqualTo(1000 - accepted);
            assertThat(pool.getLargestPoolSize()).isEqualTo(BridgeRuntime.MAX_CHECKS_RUNNING);
            // once the cloud answers, the waiting ones run and new requests are taken again
            cloudAnswers.countDown();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pool.getCompletedTaskCount() < accepted && System.nanoTime() < end) Thread.onSpinWait();
            assertThat(pool.getCompletedTaskCount()).isEqualTo(accepted);
            pool.execute(() -> { });
        } finally {
            cloudAnswers.countDown();
            pool.shutdownNow();
        }
        assertThatThrownBy(() -> pool.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
    }
}
