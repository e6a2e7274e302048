package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * Acknowledged means delivered: QoS 1 publishers load the container connected to the
 * Cumulocity stand-in, the container is killed (-9) at random moments, ten times; at the end
 * every message a publisher got a PUBACK for has reached the cloud.
 */
class KillNineCloudIT {
    @TempDir
    Path dir;
    C8yMqttStandIn cloud;
    C8yHttpStandIn rest;

    @AfterEach
    void close() {
        if (cloud != null) cloud.close();
        if (rest != null) rest.close();
    }

    @Test
    void killNineTenTimesUnderLoadLosesNoAcknowledgedMessageOnItsWayToTheCloud() throws Exception {
        TestPki pki = TestPki.create("c8y-cloud-ca");
        LiveTrust trust = new LiveTrust();
        cloud = C8yMqttStandIn.start(pki, trust);
        rest = C8yHttpStandIn.start(pki, trust, "secret");
        Path cfg = dir.resolve("cfg");
        Agent agent = new Agent(cfg);
        Path ca = pki.writeCaPem(dir.resolve("c8y-root.pem"));
        for (String[] kv : new String[][] {{"c8y.url", "localhost"}, {"c8y.mqtt", cloud.hostPort()}, {"c8y.http", rest.hostPort()},
                {"c8y.root.cert.path", ca.toString()}, {"bridge.reconnect.initial_ms", "200"}, {"bridge.reconnect.max_ms", "1000"},
                {"bridge.reconnect.jitter_ms", "100"}}) {
            assertThat(Agent.run(cfg, "config", "set", kv[0], kv[1]).code()).isZero();
        }
        assertThat(Agent.run(cfg, "cert", "create", "--device-id", "dev-kill").code()).isZero();
        Agent.Result up = Agent.runWithEnv(cfg, Map.of("C8YPASS", "secret"), "cert", "upload", "c8y", "--user", "admin");
        assertThat(up.code()).as(up.toString()).isZero();
        agent.startAndWait();
        Agent.Result c = agent.tedge("connect", "c8y");
        assertThat(c.code()).as(c.toString()).isZero();

        Set<String> acked = ConcurrentHashMap.newKeySet();
        Random rnd = new Random(20261202);
        int[] next = new int[2];
        int rounds = 10;
        for (int round = 0; round < rounds; round++) {
            if (round > 0) agent.start();
            boolean duringStartup = round % 5 == 4;
            List<DurabilityIT.Publisher> pubs = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            if (!duringStartup) {
                agent.awaitPort(agent.port, Duration.ofSeconds(30));
                for (int i = 0; i < 2; i++) {
                    DurabilityIT.Publisher p = new DurabilityIT.Publisher(i, agent.port, acked, next[i], "c8y/s/us", "200,c8y_Kill,p" + i + ",");
                    pubs.add(p);
                    Thread t = new Thread(p, "publisher-" + i);
                    threads.add(t);
                    t.start();
                }
            }
            Thread.sleep(duringStartup ? 200 + rnd.nextInt(600) : 500 + rnd.nextInt(1500));
            agent.kill();
            for (DurabilityIT.Publisher p : pubs) p.stop.set(true);
            for (Thread t : threads) t.join(10_000);
            for (int i = 0; i < pubs.size(); i++) next[i] = pubs.get(i).next;
        }
        try (Agent last = new Agent(cfg, agent.port).startAndWait()) {
            assertThat(acked.size()).as("the publishers got through").isGreaterThan(500);
            Agent.await("every acknowledged message at the cloud (" + acked.size() + ")", Duration.ofSeconds(120), () -> {
                Set<String> seen = new HashSet<>();
                for (C8yMqttStandIn.SmartRestLine l : cloud.smartRestLines()) seen.add(l.line());
                return seen.containsAll(acked);
            });
            System.out.printf("kill -9 x %d under load with c8y connected: %d acknowledged QoS 1 messages, all at the cloud%n", rounds, acked.size());
        }
    }
}
