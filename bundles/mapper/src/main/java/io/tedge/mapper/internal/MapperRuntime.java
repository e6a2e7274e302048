package io.tedge.mapper.internal;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;
import io.tedge.api.Mapper;
import io.tedge.mapper.thinedge.Reconciler;
import io.tedge.mapper.thinedge.Retained;

/**
 * The mapper runtime: a whiteboard of {@link Mapper} services. Each mapper gets a thread that
 * reads its inputs from the journal through the durable consumer {@code mapper-<name>}, publishes
 * what the mapper returns and only then commits; a {@link Mapper.MappingException} is published
 * as text on {@code tedge/errors}. So a message acknowledged on an input topic is never lost
 * between the local broker and the cloud link, whatever stops or restarts. QoS 0 inputs are
 * mapped live. A mapper that is also a {@link Reconciler} is asked to reconcile once it has
 * mapped its backlog.
 *
 * <p>Health: each mapper is the service {@code tedge-mapper-<name>}, published retained on
 * {@code tedge/health/tedge-mapper-<name>} up when it starts and down when it stops (see
 * {@link Health}). When the runtime starts, a {@code tedge-mapper-*} health left up by another
 * process (the container was killed) is set down with that process's pid, as a last will would.
 */
@Component(immediate = true, service = {})
public class MapperRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(MapperRuntime.class);
    static final String ERRORS = "tedge/errors";

    private final Bus bus;
    private final Map<Mapper, Worker> workers = new ConcurrentHashMap<>();
    /** A mapper service and its service id. */
    private record Offer(Mapper mapper, long id) {
    }

    /** Per name, every mapper installed, the one that runs (the lowest service id) first; guarded by itself. */
    private final Map<String, List<Offer>> byName = new HashMap<>();
    private volatile boolean active = true;

    @Activate
    public MapperRuntime(@Reference Bus bus) {
        this.bus = bus;
        downStale(bus, Clock.systemUTC());
    }

    /** The {@code tedge-mapper-*} health messages that another process left up become down. */
    static void downStale(Bus bus, Clock clock) {
        try {
            Map<String, byte[]> all = Retained.snapshot(bus, List.of(Health.TOPIC + "+"), Duration.ofSeconds(5));
            for (Map.Entry<String, byte[]> e : all.entrySet()) {
                if (!e.getKey().startsWith(Health.TOPIC + "tedge-mapper-")) continue;
                Health.Status s = Health.read(e.getValue());
                if (s != null && s.status().equals("up") && s.pid() != Health.PID) {
                    bus.publish(e.getKey(), Health.payload(s.pid(), "down", clock.millis() / 1000), 1, true);
                }
            }
        } catch (Bus.BusException e) {
            LOG.warn("Could not check the health left by an earlier run: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addMapper(Mapper m, Map<String, Object> props) {
        Object name = props.get(Mapper.NAME);
        if (name == null) {
            LOG.warn("A Mapper without the service property {} is ignored: {}", Mapper.NAME, m.getClass().getName());
            return;
        }
        String n = name.toString();
        String err;
        synchronized (byName) {
            if (!active) return;
            List<Offer> same = byName.computeIfAbsent(n, k -> new ArrayList<>());
            Mapper running = same.isEmpty() ? null : same.get(0).mapper();
            same.add(new Offer(m, serviceId(props)));
            same.sort(java.util.Comparator.comparingLong(Offer::id));
            if (same.size() == 1) {
                start(n, m);
                return;
            }
            // two versions of one plug-in side by side in deploy/: one mapper, or every message mapped twice.
            // The one registered first runs (as tedge plugins shows it): it may be bound second
            Mapper first = same.get(0).mapper();
            if (first == m) {
                stopWorker(running);
                start(n, m);
            }
            err = "Two mappers named '" + n + "' are installed: " + origin(first) + " runs, " + origin(first == m ? running : m)
                    + " waits until that one is taken out. Take one of the two jars out of deploy/.";
        }
        LOG.warn("{}", err);
        try {
            bus.publish(ERRORS, err.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (Bus.BusException e) {
            LOG.warn("Could not publish on {}: {}", ERRORS, e.getMessage());
        }
    }

    void removeMapper(Mapper m, Map<String, Object> props) {
        Object name = props.get(Mapper.NAME);
        if (name == null) return;
        String n = name.toString();
        synchronized (byName) {
            List<Offer> same = byName.get(n);
            int i = -1;
            for (int k = 0; same != null && k < same.size(); k++) {
                if (same.get(k).mapper() == m) i = k;
            }
            if (i < 0) return;
            same.remove(i);
            if (same.isEmpty()) byName.remove(n);
            if (i > 0) {
                LOG.info("The second mapper named '{}' ({}) is gone; {} runs on", n, origin(m), origin(same.get(0).mapper()));
                return;
            }
            stopWorker(m);
            if (!same.isEmpty() && active) {
                // it goes on from the first one's last commit: its consumer has the same name
                LOG.warn("Mapper '{}' from {} takes over from {}", n, origin(same.get(0).mapper()), origin(m));
                start(n, same.get(0).mapper());
            }
        }
    }

    private void stopWorker(Mapper m) {
        Worker w = workers.remove(m);
        if (w != null) {
            w.stop();
            LOG.info("Mapper '{}' stopped", w.name);
        }
    }

    /** The service id (the one registered first runs); one without (a test) comes after those with one. */
    static long serviceId(Map<String, Object> props) {
        return props.get(org.osgi.framework.Constants.SERVICE_ID) instanceof Long id ? id : Long.MAX_VALUE;
    }

    private void start(String name, Mapper m) {
        Worker w = new Worker(name, m);
        workers.put(m, w);
        w.start();
        LOG.info("Mapper '{}' started on {}", name, m.inputs());
    }

    /** The bundle a service comes from, as a user finds it in deploy/: name, version and file. */
    static String origin(Object service) {
        org.osgi.framework.Bundle b = org.osgi.framework.FrameworkUtil.getBundle(service.getClass());
        if (b == null) return service.getClass().getName();
        String loc = b.getLocation();
        return b.getSymbolicName() + " " + b.getVersion() + " (" + loc.substring(loc.lastIndexOf('/') + 1) + ")";
    }

    @Deactivate
    void deactivate() {
        synchronized (byName) {
            active = false;
            for (Worker w : workers.values()) w.stop();
            workers.clear();
            byName.clear();
        }
    }

    /** Runs one mapper. */
    private final class Worker implements Runnable {
        final String name;
        final Mapper mapper;
        private final Thread thread;
        private volatile boolean running = true;
        private DurableConsumer consumer;
        private Bus.Subscription live;
        private final Health health;
        private boolean reconciled;

        Worker(String name, Mapper mapper) {
            this.name = name;
            this.mapper = mapper;
            this.thread = new Thread(this, "tedge-mapper-" + name);
            thread.setDaemon(true);
            this.health = new Health(bus, "tedge-mapper-" + name, Clock.systemUTC());
        }

        void start() {
            consumer = bus.consumer("mapper-" + name, mapper.inputs());
            // live: QoS 0 as it is published; the retained messages a new subscription gets first
            // are the broker's state, not news (a Reconciler compares them in reconcile())
            live = bus.subscribe(mapper.inputs(), m -> {
                if (m.qos() == 0 && !m.retained() && running) {
                    try {
                        handle(m);
                    } catch (Bus.BusException e) {
                        LOG.warn("Mapper '{}': could not publish the output of a QoS 0 message on {}: {}", name, m.topic(), e.getMessage());
                    }
                }
            });
            thread.start();
            health.start();
        }

        void stop() {
            running = false;
            if (live != null) live.close();
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            consumer.close();
            health.close();
        }

        @Override
        public void run() {
            while (running) {
                try {
                    List<BusMessage> batch = consumer.poll(200, Duration.ofMillis(500));
                    for (BusMessage m : batch) {
                        handle(m);
                        consumer.commit(m.position());
                    }
                    if (!reconciled && batch.size() < 200) {
                        reconcile();
                        reconciled = true;
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Bus.BusException e) {
                    // the output could not be stored: do not commit, try again from the commit
                    LOG.warn("Mapper '{}': cannot publish its output ({}); retrying", name, e.getMessage());
                    consumer.rewind();
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                } catch (RuntimeException e) {
                    if (!running) return;
                    LOG.warn("Mapper '{}' failed: {}", name, e.toString(), e);
                    consumer.rewind();
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }

        /** Asks a {@link Reconciler} mapper for what the cloud missed; publishes it. */
        private void reconcile() throws Bus.BusException {
            if (!(mapper instanceof Reconciler r)) return;
            List<BusMessage> outs;
            try {
                synchronized (mapper) {
                    outs = r.reconcile();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.warn("Mapper '{}' could not reconcile its state: {}", name, e.toString());
                return;
            }
            publishAll(outs);
            if (!outs.isEmpty()) LOG.info("Mapper '{}' reconciled: {} message(s)", name, outs.size());
        }

        private void publishAll(List<BusMessage> outs) throws Bus.BusException {
            for (BusMessage o : outs) {
                bus.publish(o.topic(), o.payload(), Math.max(o.qos(), 1), o.retained()); // outputs are journaled: QoS 1 at least
            }
        }

        private void handle(BusMessage m) throws Bus.BusException {
            List<BusMessage> outs;
            try {
                synchronized (mapper) {
                    outs = mapper.map(m);
                }
            } catch (Mapper.MappingException e) {
                bus.publish(ERRORS, e.getMessage().getBytes(StandardCharsets.UTF_8), 1, false);
                return;
            } catch (RuntimeException e) {
                LOG.warn("Mapper '{}' threw on {}: {}", name, m.topic(), e.toString(), e);
                bus.publish(ERRORS, ("Mapper " + name + " failed on " + m.topic() + ": " + e).getBytes(StandardCharsets.UTF_8), 1, false);
                return;
            }
            publishAll(outs);
        }
    }
}
