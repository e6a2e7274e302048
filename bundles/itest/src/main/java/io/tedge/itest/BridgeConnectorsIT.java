package io.tedge.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceRegistration;

import io.tedge.api.Bus;
import io.tedge.api.CloudConnector;
import io.tedge.api.CloudLink;

/**
 * Two connectors for one cloud (two versions of a plug-in side by side) in a real framework with
 * the bridge runtime: the one registered first is used, the other waits and says so on
 * tedge/errors, and takes over when the first goes.
 */
class BridgeConnectorsIT {

    /** A connector that counts how often the bridge asks it for its link, and has none. */
    static final class Fake implements CloudConnector {
        final String tag;
        final AtomicInteger links = new AtomicInteger();

        Fake(String tag) {
            this.tag = tag;
        }

        @Override
        public CloudLink link(Map<String, String> config) throws ConnectorException {
            links.incrementAndGet();
            throw new ConnectorException("fake connector " + tag + " has no link");
        }
    }

    private static ServiceRegistration<CloudConnector> register(Fake f) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(CloudConnector.CLOUD, "fake");
        return Support.context().registerService(CloudConnector.class, f, p);
    }

    private static String toml(int port, int inflight) {
        return "[mqtt]\nport = " + port + "\n\n[bridge]\ninflight = " + inflight + "\n\n[fake]\nconnect = \"true\"\n";
    }

    @Test
    void theConnectorRegisteredFirstIsUsedAndTheOtherTakesOverWhenItGoes() throws Exception {
        int port = Support.freePort();
        Support.writeToml(toml(port, 100));
        Bus bus = Support.bus(port, Duration.ofSeconds(20));
        BlockingQueue<String> errors = new LinkedBlockingQueue<>();
        try (Bus.Subscription s = bus.subscribe(List.of("tedge/errors"), m -> errors.add(m.text()))) {
            Fake a = new Fake("A");
            Fake b = new Fake("B");
            ServiceRegistration<CloudConnector> ra = register(a);
            ServiceRegistration<CloudConnector> rb = null;
            try {
                Support.await("the bridge asks A for its link", Duration.ofSeconds(20), () -> a.links.get() > 0);
                rb = register(b);
                String err = errors.poll(20, TimeUnit.SECONDS);
                assertThat(err).isNotNull().startsWith("Two connectors for 'fake' are installed: ")
                        .endsWith(" waits until that one is taken out. Take one of the two jars out of deploy/.");
                // a configuration change makes the bridge ask again: A, not B
                int before = a.links.get();
                Support.writeToml(toml(port, 50));
                Support.await("the bridge asks A again", Duration.ofSeconds(20), () -> a.links.get() > before);
                assertThat(b.links.get()).isZero();

                // A goes: B takes over
                ra.unregister();
                ra = null;
                Support.await("the bridge asks B for its link", Duration.ofSeconds(20), () -> b.links.get() > 0);
            } finally {
                if (ra != null) ra.unregister();
                if (rb != null) rb.unregister();
                Support.writeToml("[mqtt]\nport = " + port + "\n");
            }
        }
    }
}
