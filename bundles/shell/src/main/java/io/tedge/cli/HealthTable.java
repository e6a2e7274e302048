package io.tedge.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;

/**
 * The health table of {@code tedge status}: every service's retained health on
 * {@code tedge/health/<service>} (and {@code tedge/health/<child>/<service>}), one line each,
 * sorted: {@code <service> <status> pid=<pid> since=<time>}.
 */
final class HealthTable {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private HealthTable() {
    }

    /** One service's health. */
    record Health(String status, String pid, String time) {
    }

    static void print(MqttClient c, PrintStream out) throws MqttException, InterruptedException {
        BlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        c.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                q.add(new String[] {topic, new String(message.getPayload(), StandardCharsets.UTF_8)});
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        c.subscribe(new String[] {"tedge/health/+", "tedge/health/+/+"}, new int[] {1, 1});
        Map<String, Health> all = new TreeMap<>();
        String[] m;
        while ((m = q.poll(all.isEmpty() ? 1000 : 300, TimeUnit.MILLISECONDS)) != null) {
            all.put(m[0].substring("tedge/health/".length()), parse(m[1]));
        }
        if (all.isEmpty()) {
            out.println("No service health (tedge/health/<service>) published.");
            return;
        }
        out.println("Services (tedge/health):");
        int width = all.keySet().stream().mapToInt(String::length).max().orElse(10);
        for (Map.Entry<String, Health> e : all.entrySet()) {
            Health h = e.getValue();
            out.printf("  %-" + width + "s %-8s pid=%s since=%s%n", e.getKey(), h.status(), h.pid(), h.time());
        }
    }

    /** The health JSON ({@code {"pid","status","time"}}); missing or unreadable fields as {@code -}. */
    static Health parse(String json) {
        String status = "-";
        String pid = "-";
        String time = "-";
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    if (v.isScalarValue()) {
                        String text = p.getText();
                        switch (name) {
                            case "status" -> status = text;
                            case "pid" -> pid = text;
                            case "time" -> time = v == JsonToken.VALUE_NUMBER_INT ? Instant.ofEpochSecond(p.getLongValue()).toString() : text;
                            default -> {
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                status = json.strip().isEmpty() ? "-" : json.strip();
            }
        } catch (IOException e) {
            status = "unreadable";
        }
        return new Health(status, pid, time);
    }
}
