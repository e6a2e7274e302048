package io.tedge.aws;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnected;
import io.tedge.api.Mapper;

/**
 * The aws mapper of thin-edge.io 0.12: {@code tedge/measurements} (Thin Edge JSON) to
 * {@code aws/td/measurements}, the measurement as it is with {@code "time"} added (now, RFC 3339)
 * when it has none. Invalid Thin Edge JSON (not an object; a value that is neither a number nor
 * an object of numbers; a {@code time} that is not an RFC 3339 text; nothing measured) is not
 * forwarded: the reason goes to {@code tedge/errors}. So is a result over AWS IoT's 128 KiB. Runs
 * only while aws is connected.
 */
@Component(property = Mapper.NAME + "=aws")
public class AwsMapper implements Mapper {
    static final String INPUT = "tedge/measurements";
    static final String OUTPUT = "aws/td/measurements";
    private static final JsonFactory JSON = new JsonFactory();
    private final Clock clock;

    /**
     * The DS constructor: active only while aws is connected.
     *
     * @param connected the bridge runtime's mark that aws is connected
     */
    @Activate
    public AwsMapper(@Reference(target = "(tedge.cloud=aws)") CloudConnected connected) {
        this(Clock.systemUTC());
    }

    AwsMapper(Clock clock) {
        this.clock = clock;
    }

    @Override
    public List<String> inputs() {
        return List.of(INPUT);
    }

    @Override
    public List<BusMessage> map(BusMessage in) throws MappingException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.payload().length + 48);
        try (JsonParser p = JSON.createParser(in.payload()); JsonGenerator g = JSON.createGenerator(out)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw invalid(in, "a Thin Edge JSON measurement is a JSON object");
            g.writeStartObject();
            boolean time = false;
            int measured = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals("time")) {
                    if (t != JsonToken.VALUE_STRING) throw invalid(in, "\"time\" must be an RFC 3339 text");
                    try {
                        OffsetDateTime.parse(p.getText());
                    } catch (DateTimeParseException e) {
                        throw invalid(in, "\"time\" is not an RFC 3339 timestamp: " + p.getText());
                    }
                    g.writeStringField("time", p.getText());
                    time = true;
                } else if (t.isNumeric()) {
                    g.writeFieldName(name);
                    g.writeNumber(p.getText()); // as written
                    measured++;
                } else if (t == JsonToken.START_OBJECT) {
                    g.writeObjectFieldStart(name);
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        if (!p.nextToken().isNumeric()) throw invalid(in, "\"" + name + "." + key + "\" is not a number");
                        g.writeFieldName(key);
                        g.writeNumber(p.getText()); // as written
                        measured++;
                    }
                    g.writeEndObject();
                } else {
                    throw invalid(in, "\"" + name + "\" is not a number");
                }
            }
            if (p.nextToken() != null) throw invalid(in, "text after the JSON object");
            if (measured == 0) throw invalid(in, "no measurement");
            if (!time) g.writeStringField("time", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(OffsetDateTime.now(clock).truncatedTo(ChronoUnit.MILLIS)));
            g.writeEndObject();
        } catch (IOException e) {
            throw invalid(in, "not JSON (" + e.getMessage().split("\n")[0] + ")");
        }
        if (out.size() > AwsConnector.MAX_PAYLOAD) {
            throw new MappingException("Invalid Thin Edge JSON on " + in.topic() + ": the measurement for AWS is " + out.size()
                    + " bytes, over AWS IoT's limit of " + AwsConnector.MAX_PAYLOAD + " bytes; not forwarded");
        }
        return List.of(new BusMessage(OUTPUT, out.toByteArray(), Math.max(1, in.qos()), false, -1));
    }

    private static MappingException invalid(BusMessage in, String why) {
        return new MappingException("Invalid Thin Edge JSON on " + in.topic() + ": " + why + "; not forwarded to AWS");
    }
}
