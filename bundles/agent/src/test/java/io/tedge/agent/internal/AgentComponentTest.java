package io.tedge.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.agent.OperationState;
import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;
import io.tedge.api.Topics;

class AgentComponentTest {
    @TempDir
    Path dir;
    QueueBus bus = new QueueBus();
    Map<String, Object> props = new HashMap<>();
    AgentComponent agent;

    @BeforeEach
    void setUp() throws Exception {
        props.put("tedge.config.dir", dir.resolve("etc").toString());
        props.put("data.path", dir.resolve("data").toString());
        props.put("logs.path", dir.resolve("logs").toString());
        props.put("tmp.path", dir.resolve("tmp").toString());
        Path installed = Files.writeString(dir.resolve("installed.tsv"), "a\t1\n");
        SoftwareManagerTest.write(dir.resolve("etc/sm-plugins/testpkg"), SoftwareManagerTest.plugin(dir.resolve("calls"), installed, false));
    }

    @AfterEach
    void tearDown() {
        if (agent != null) agent.deactivate();
    }

    private List<String> awaitOn(String topic, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> got = bus.texts(topic);
            if (got.size() >= n) return got;
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return bus.texts(topic);
    }

    @Test
    void healthAndSoftwareListThroughTheCommandTopics() throws Exception {
        agent = new AgentComponent(bus, props);
        BusMessage health = bus.published.get(0);
        assertThat(health.topic()).isEqualTo("tedge/health/tedge-agent");
        assertThat(health.retained()).isTrue();
        assertThat(health.text()).startsWith("{\"status\":\"up\",\"pid\":" + ProcessHandle.current().pid() + ",\"time\":");

        bus.publish(AgentComponent.LIST_REQ, "{\"id\":\"list-1\"}".getBytes(), 1, false);
        List<String> res = awaitOn(AgentComponent.LIST_RES, 2);
        assertThat(res).containsExactly("{\"id\":\"list-1\",\"status\":\"executing\"}",
                "{\"id\":\"list-1\",\"status\":\"successful\",\"currentSoftwareList\":[{\"type\":\"testpkg\",\"modules\":[{\"name\":\"a\",\"version\":\"1\"}]}]}");
        assertThat(dir.resolve("data/agent/software-current-operation")).doesNotExist();

        // the same request again (a re-delivery after a crash) is not run twice
        bus.publish(AgentComponent.LIST_REQ, "{\"id\":\"list-1\"}".getBytes(), 1, false);
        bus.publish(AgentComponent.UPDATE_REQ, ("{\"id\":\"upd-2\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":"
                + "[{\"name\":\"b\",\"version\":\"2\",\"action\":\"install\"}]}]}").getBytes(), 1, false);
        List<String> upd = awaitOn(AgentComponent.UPDATE_RES, 2);
        assertThat(upd.get(0)).isEqualTo("{\"id\":\"upd-2\",\"status\":\"executing\"}");
        assertThat(upd.get(1)).startsWith("{\"id\":\"upd-2\",\"status\":\"successful\"");
        assertThat(bus.texts(AgentComponent.LIST_RES)).hasSize(2);
    }

    @Test
    void aSoftwareOperationLeftByAStopIsReportedFailedAtStart() throws Exception {
        OperationState.write(dir.resolve("data/agent/software-current-operation"), "upd-9", "update", Instant.now());
        agent = new AgentComponent(bus, props);
        assertThat(bus.texts(AgentComponent.UPDATE_RES)).hasSize(1);
        assertThat(bus.texts(AgentComponent.UPDATE_RES).get(0)).startsWith("{\"id\":\"upd-9\",\"status\":\"failed\",\"reason\":\"tedge-agent was stopped");
        assertThat(dir.resolve("data/agent/software-current-operation")).doesNotExist();
        agent.deactivate();
        agent = new AgentComponent(bus, props);
        assertThat(bus.texts(AgentComponent.UPDATE_RES)).hasSize(1); // reported once, not at every start
    }

    @Test
    void aRestartRunsBesideASoftwareUpdate() throws Exception {
        Path rebooted = dir.resolve("rebooted");
        Path script = SoftwareManagerTest.write(dir.resolve("reboot.sh"), "#!/bin/sh\ntouch " + rebooted + "\n");
        Files.writeString(dir.resolve("etc/system.toml"), "[system]\nreboot = [\"" + script + "\"]\n");
        SoftwareManagerTest.write(dir.resolve("etc/sm-plugins/testpkg"), SoftwareManagerTest.plugin(dir.resolve("calls"),
                dir.resolve("installed.tsv"), false));
        agent = new AgentComponent(bus, props);
        bus.publish(AgentComponent.UPDATE_REQ, ("{\"id\":\"upd-3\",\"updateList\":[{\"type\":\"testpkg\",\"modules\":"
                + "[{\"name\":\"slow\",\"action\":\"install\"}]}]}").getBytes(), 1, false);
        assertThat(awaitOn(AgentComponent.UPDATE_RES, 1)).containsExactly("{\"id\":\"upd-3\",\"status\":\"executing\"}");
        bus.publish(AgentComponent.RESTART_REQ, "{\"id\":\"r-1\"}".getBytes(), 1, false);
        assertThat(awaitOn(AgentComponent.RESTART_RES, 1)).containsExactly("{\"id\":\"r-1\",\"status\":\"executing\"}");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(rebooted) && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(10);
        assertThat(rebooted).exists();
        // the container goes down (as the reboot would do it): both states stay for the next start
        agent.deactivate();
        agent = null;
        assertThat(bus.texts(AgentComponent.UPDATE_RES)).hasSize(1);
        assertThat(OperationState.list(dir.resolve("data/agent"))).extracting(OperationState::id).containsExactlyInAnyOrder("upd-3", "r-1");

        Files.deleteIfExists(dir.resolve("tmp").resolve(RestartManager.MARKER)); // a reboot empties /tmp
        agent = new AgentComponent(bus, props);
        assertThat(bus.texts(AgentComponent.RESTART_RES)).containsExactly("{\"id\":\"r-1\",\"status\":\"executing\"}",
                "{\"id\":\"r-1\",\"status\":\"successful\"}");
        assertThat(bus.texts(AgentComponent.UPDATE_RES).get(1)).startsWith("{\"id\":\"upd-3\",\"status\":\"failed\"");
        assertThat(OperationState.list(dir.resolve("data/agent"))).isEmpty();
    }

    /** A bus whose durable consumers read what was published after they were opened. */
    static final class QueueBus implements Bus {
        final List<BusMessage> published = new CopyOnWriteArrayList<>();
        final List<Q> consumers = new CopyOnWriteArrayList<>();

        @Override
        public void publish(String topic, byte[] payload, int qos, boolean retain) {
            BusMessage m = new BusMessage(topic, payload, qos, retain, published.size());
            published.add(m);
            for (Q q : consumers) {
                if (q.filters.stream().anyMatch(f -> Topics.matches(f, topic))) q.queue.add(m);
            }
        }

        List<String> texts(String topic) {
            List<String> out = new ArrayList<>();
            for (BusMessage m : published) {
                if (m.topic().equals(topic)) out.add(m.text());
            }
            return out;
        }

        @Override
        public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
            throw new UnsupportedOperationException();
        }

        @Override
        public DurableConsumer consumer(String name, Collection<String> filters) {
            Q q = new Q(name, List.copyOf(filters));
            consumers.add(q);
            return q;
        }

        final class Q implements DurableConsumer {
            final String name;
            final List<String> filters;
            final BlockingQueue<BusMessage> queue = new LinkedBlockingQueue<>();

            Q(String name, List<String> filters) {
                this.name = name;
                this.filters = filters;
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public List<BusMessage> poll(int max, Duration timeout) throws InterruptedException {
                BusMessage m = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return m == null ? List.of() : List.of(m);
            }

            @Override
            public void commit(long position) {
            }

            @Override
            public void rewind() {
            }

            @Override
            public long committed() {
                return -1;
            }

            @Override
            public long pending() {
                return queue.size();
            }

            @Override
            public long dropped() {
                return 0;
            }

            @Override
            public void close() {
                consumers.remove(this);
            }
        }
    }
}
