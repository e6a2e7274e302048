package com.example.acme;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnected;
import io.tedge.api.Mapper;

/**
 * {@code tedge/measurements} to {@code acme/telemetry/measurements}: ACME takes the measurement
 * as it is, wrapped with the time it was mapped: {@code {"time":"...","measurement":{...}}}. A
 * payload that is not a JSON object is refused (its text goes to {@code tedge/errors}). Active
 * only while acme is connected; the runtime reads its input through the cursor
 * {@code mapper-acme}, so nothing published while it is absent is lost.
 */
@Component(property = Mapper.NAME + "=acme")
public class AcmeMapper implements Mapper {
    private final Clock clock;

    @Activate
    public AcmeMapper(@Reference(target = "(tedge.cloud=acme)") CloudConnected connected) {
        this(Clock.systemUTC());
    }

    AcmeMapper(Clock clock) {
        this.clock = clock;
    }

    @Override
    public List<String> inputs() {
        return List.of("tedge/measurements");
    }

    @Override
    public List<BusMessage> map(BusMessage in) throws MappingException {
        String json = in.text().strip();
        if (!json.startsWith("{") || !json.endsWith("}")) {
            throw new MappingException("ACME mapper: a measurement is a JSON object, not: " + json);
        }
        String out = "{\"time\":\"" + Instant.now(clock) + "\",\"measurement\":" + json + "}";
        return List.of(BusMessage.of("acme/telemetry/measurements", out, 1));
    }
}
