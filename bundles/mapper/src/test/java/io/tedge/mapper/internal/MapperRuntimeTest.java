package io.tedge.mapper.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;
import io.tedge.api.Mapper;
import io.tedge.mapper.thinedge.Reconciler;

/**
 * The runtime's health of each mapper, its reconcile call, the health a killed container left up,
 * and one mapper per name when two versions of a plug-in are installed.
 */
class MapperRuntimeTest {
    @TempDir
    Path dir;
    JournalBus bus;
    final List<BusMessage> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void bus() throws Exception {
        bus = new JournalBus(dir);
        bus.subscribe(List.of("#"), seen::add);
    }

    @AfterEach
    void close() {
        bus.close();
    }

    /** Echoes tedge/in to tedge/out; reconciles by publishing one message. */
    static final class Echo implements Mapper, Reconciler {
        final AtomicInteger reconciles = new AtomicInteger();
        volatile int mappedBeforeReconcile = -1;
        final AtomicInteger mapped = new AtomicInteger();

        @Override
        public List<String> inputs() {
            return List.of("tedge/in");
        }

        @Override
        public List<BusMessage> map(BusMessage in) {
            mapped.incrementAndGet();
            return List.of(BusMessage.of("tedge/out", in.text(), 1));
        }

        @Override
        public List<BusMessage> reconcile() {
            if (reconciles.incrementAndGet() == 1) mappedBeforeReconcile = mapped.get();
            return List.of(BusMessage.of("tedge/reconciled", "yes", 1));
        }
    }

    private BusMessage await(Predicate<BusMessage> p) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            for (BusMessage m : seen) if (p.test(m)) return m;
            Thread.sleep(10);
        }
        throw new AssertionError("not seen; got " + seen);
    }

    @Test
    void healthUpAndDownReconcileAfterTheBacklog() throws Exception {
        // a backlog for the mapper's durable consumer, made before it runs
        try (var c = bus.consumer("mapper-echo", List.of("tedge/in"))) {
            c.commit(-1);
        }
        for (int i = 0; i < 5; i++) bus.publish("tedge/in", ("m" + i).getBytes(StandardCharsets.UTF_8), 1, false);
        MapperRuntime runtime = new MapperRuntime(bus);
        Echo echo = new Echo();
        runtime.addMapper(echo, Map.of(Mapper.NAME, "echo"));
        await(m -> m.topic().equals("tedge/health/tedge-mapper-echo") && m.text().contains("\"status\":\"up\""));
        await(m -> m.topic().equals("tedge/reconciled"));
        assertThat(echo.mappedBeforeReconcile).isEqualTo(5);
        long ups = seen.stream().filter(m -> m.topic().equals("tedge/health/tedge-mapper-echo")).count();
        bus.publish("tedge/health-check/tedge-mapper-echo", new byte[0], 0, false);
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (seen.stream().filter(m -> m.topic().equals("tedge/health/tedge-mapper-echo")).count() == ups && System.nanoTime() < end) Thread.sleep(10);
        assertThat(seen.stream().filter(m -> m.topic().equals("tedge/health/tedge-mapper-echo")).count()).isGreaterThan(ups);
        runtime.removeMapper(echo, Map.of(Mapper.NAME, "echo"));
        assertThat(bus.broker.retained("tedge/health/tedge-mapper-echo").text()).contains("\"status\":\"down\"");
        assertThat(echo.reconciles.get()).isEqualTo(1);
        runtime.deactivate();
    }

    @Test
    void retainedQos0MessagesAreStateNotNewsAndAreNotMappedAgainAtAStart() throws Exception {
        bus.publish("tedge/in", "old".getBytes(StandardCharsets.UTF_8), 0, true);
        MapperRuntime runtime = new MapperRuntime(bus);
        Echo echo = new Echo();
        runtime.addMapper(echo, Map.of(Mapper.NAME, "echo"));
        await(m -> m.topic().equals("tedge/reconciled"));
        bus.publish("tedge/in", "new".getBytes(StandardCharsets.UTF_8), 0, true);
        await(m -> m.topic().equals("tedge/out"));
        assertThat(seen.stream().filter(m -> m.topic().equals("tedge/out")).map(BusMessage::text)).containsExactly("new");
        runtime.deactivate();
    }

    @Test
    void healthLeftUpByAnotherProcessIsSetDownWithItsPid() throws Exception {
        bus.publish("tedge/health/tedge-mapper-gone", "{\"pid\":999999,\"status\":\"up\",\"time\":1}".getBytes(StandardCharsets.UTF_8), 1, true);
        bus.publish("tedge/health/other-service", "{\"pid\":999999,\"status\":\"up\",\"time\":1}".getBytes(StandardCharsets.UTF_8), 1, true);
        MapperRuntime runtime = new MapperRuntime(bus);
        assertThat(bus.broker.retained("tedge/health/tedge-mapper-gone").text()).startsWith("{\"pid\":999999,\"status\":\"down\",\"time\":");
        assertThat(bus.broker.retained("tedge/health/other-service").text()).contains("\"up\"");
        runtime.deactivate();
    }

    private List<String> outs() {
        return seen.stream().filter(m -> m.topic().equals("tedge/out")).map(BusMessage::text).toList();
    }

    private void publishIn(String... texts) throws Exception {
        for (String t : texts) bus.publish("tedge/in", t.getBytes(StandardCharsets.UTF_8), 1, false);
    }

    @Test
    void aSecondMapperOfTheSameNameWaitsAndTakesOverWhereTheFirstLeftOff() throws Exception {
        MapperRuntime runtime = new MapperRuntime(bus);
        Echo first = new Echo();
        Echo second = new Echo();
        runtime.addMapper(first, Map.of(Mapper.NAME, "echo"));
        runtime.addMapper(second, Map.of(Mapper.NAME, "echo"));
        assertThat(await(m -> m.topic().equals(MapperRuntime.ERRORS)).text()).startsWith("Two mappers named 'echo' are installed: ")
                .contains(" runs, ").endsWith(" waits until that one is taken out. Take one of the two jars out of deploy/.");
        publishIn("a0", "a1", "a2", "a3", "a4");
        await(m -> m.topic().equals("tedge/out") && m.text().equals("a4"));
        // each message mapped once, by the first
        assertThat(outs()).containsExactly("a0", "a1", "a2", "a3", "a4");
        assertThat(second.mapped.get()).isZero();

        // the first taken out: the second goes on from where the first committed
        runtime.removeMapper(first, Map.of(Mapper.NAME, "echo"));
        publishIn("b0", "b1");
        await(m -> m.topic().equals("tedge/out") && m.text().equals("b1"));
        assertThat(outs()).containsExactly("a0", "a1", "a2", "a3", "a4", "b0", "b1");
        assertThat(second.mapped.get()).isEqualTo(2);

        // a third waits; taking the waiting one out leaves the running one alone
        Echo third = new Echo();
        runtime.addMapper(third, Map.of(Mapper.NAME, "echo"));
        runtime.removeMapper(third, Map.of(Mapper.NAME, "echo"));
        publishIn("c0");
        await(m -> m.topic().equals("tedge/out") && m.text().equals("c0"));
        assertThat(outs()).containsExactly("a0", "a1", "a2", "a3", "a4", "b0", "b1", "c0");
        assertThat(third.mapped.get()).isZero();
        assertThat(second.mapped.get()).isEqualTo(3);
        runtime.deactivate();
    }

    @Test
    void ofTwoMappersOfTheSameNameTheOneRegisteredFirstRunsWhicheverIsBoundFirst() throws Exception {
        MapperRuntime runtime = new MapperRuntime(bus);
        Echo older = new Echo();
        Echo newer = new Echo();
        // bound in the other order (as a component's initial binding may do): the lower service id wins
        runtime.addMapper(newer, Map.of(Mapper.NAME, "echo", "service.id", 20L));
        runtime.addMapper(older, Map.of(Mapper.NAME, "echo", "service.id", 10L));
        assertThat(await(m -> m.topic().equals(MapperRuntime.ERRORS)).text()).startsWith("Two mappers named 'echo' are installed: ");
        publishIn("x0", "x1");
        await(m -> m.topic().equals("tedge/out") && m.text().equals("x1"));
        assertThat(outs()).containsExactly("x0", "x1");
        assertThat(older.mapped.get()).isEqualTo(2);
        assertThat(newer.mapped.get()).isZero();
        runtime.deactivate();
    }
}
