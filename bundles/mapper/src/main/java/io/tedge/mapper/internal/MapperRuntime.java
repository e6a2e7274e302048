package io.tedge.mapper.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

/**
 * The mapper runtime: a whiteboard of {@link Mapper} services. Each mapper gets a thread that
 * reads its inputs from the journal through the durable consumer {@code mapper-<name>}, publishes
 * what the mapper returns and only then commits; a {@link Mapper.MappingException} is published
 * as text on {@code tedge/errors}. So a message acknowledged on an input topic is never lost
 * between the local broker and the cloud link, whatever stops or restarts. QoS 0 inputs are
 * mapped live.
 */
@Component(immediate = true, service = {})
public class MapperRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(MapperRuntime.class);
    static final String ERRORS = "tedge/errors";

    private final Bus bus;
    private final Map<Mapper, Worker> workers = new ConcurrentHashMap<>();
    private volatile boolean active = true;

    @Activate
    public MapperRuntime(@Reference Bus bus) {
        this.bus = bus;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addMapper(Mapper m, Map<String, Object> props) {
        Object name = props.get(Mapper.NAME);
        if (name == null) {
            LOG.warn("A Mapper without the service property {} is ignored: {}", Mapper.NAME, m.getClass().getName());
            return;
        }
        if (!active) return;
        Worker w = new Worker(name.toString(), m);
        workers.put(m, w);
        w.start();
        LOG.info("Mapper '{}' started on {}", name, m.inputs());
    }

    void removeMapper(Mapper m) {
        Worker w = workers.remove(m);
        if (w != null) {
            w.stop();
            LOG.info("Mapper '{}' stopped", w.name);
        }
    }

    @Deactivate
    void deactivate() {
        active = false;
        for (Worker w : workers.values()) w.stop();
        workers.clear();
    }

    /** Runs one mapper. */
    private final class Worker implements Runnable {
        final String name;
        final Mapper mapper;
        private final Thread thread;
        private volatile boolean running = true;
        private DurableConsumer consumer;
        private Bus.Subscription live;

        Worker(String name, Mapper mapper) {
            this.name = name;
            this.mapper = mapper;
            this.thread = new Thread(this, "tedge-mapper-" + name);
            thread.setDaemon(true);
        }

        void start() {
            consumer = bus.consumer("mapper-" + name, mapper.inputs());
            live = bus.subscribe(mapper.inputs(), m -> {
                if (m.qos() == 0 && running) {
                    try {
                        handle(m);
                    } catch (Bus.BusException e) {
                        LOG.warn("Mapper '{}': could not publish the output of a QoS 0 message on {}: {}", name, m.topic(), e.getMessage());
                    }
                }
            });
            thread.start();
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
            for (BusMessage o : outs) {
                bus.publish(o.topic(), o.payload(), Math.max(o.qos(), 1), o.retained()); // outputs are journaled: QoS 1 at least
            }
        }
    }
}
