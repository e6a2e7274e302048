package io.tedge.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.tedge.config.ConfigRegistry;

/**
 * Loads the classes of every command's path (config, cert, the MQTT client) without side
 * effects, so that the class-data archive that {@code bin/tedge} writes on its first run covers
 * them all, whichever command that first run was: {@code tedge mqtt pub} then starts as fast as
 * {@code tedge config get}.
 */
public final class WarmUp {
    private WarmUp() {
    }

    public static void run() {
        PrintStream nul = new PrintStream(OutputStream.nullOutputStream());
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tedge-warmup");
            int closedPort;
            try (ServerSocket s = new ServerSocket(0)) {
                closedPort = s.getLocalPort();
            }
            Files.writeString(dir.resolve("tedge.toml"), "[mqtt]\nport = " + closedPort + "\n");
            CommandContext ctx = new CommandContext(nul, nul, Map.of(), dir, ConfigRegistry::core, p -> null, false);
            for (List<String> cmd : List.of(List.of("config", "get", "mqtt.port"), List.of("config", "list"),
                    List.of("cert", "create", "--device-id", "warm-up"), List.of("cert", "show"),
                    List.of("mqtt", "pub", "a/b", "c"), List.of("status"), List.of("--help"))) {
                Tedge.run(cmd, ctx);
            }
            // the protocol path of the MQTT client, against canned broker answers
            byte[] answers = {0x20, 2, 0, 0, /* CONNACK */ 0x40, 2, 0, 1, /* PUBACK 1 */ 0x50, 2, 0, 2, /* PUBREC 2 */ 0x70, 2, 0, 2,
                    /* PUBCOMP 2 */ (byte) 0x90, 3, 0, 3, 0, /* SUBACK 3 */ 0x30, 5, 0, 1, 't', 'h', 'i' /* PUBLISH t "hi" */};
            CliMqttClient c = new CliMqttClient(null, new ByteArrayInputStream(answers), OutputStream.nullOutputStream(), 1000);
            c.connect("warm-up", true, 0);
            c.publish("t", new byte[] {1}, 1, false);
            c.publish("t", new byte[] {1}, 2, false);
            c.subscribe("t", 0);
            c.receive(1000).text();
            c.disconnect();
            // what `tedge status` prints from the retained statuses and healths (Jackson, the tables)
            ConnectCommand.printLinks(ctx, List.<String[]>of(new String[] {"tedge/bridge/c8y/status",
                    "{\"cloud\":\"c8y\",\"status\":\"connected\",\"queued\":0,\"sent\":1,\"last_error\":\"\",\"ok\":true}"}));
            HealthTable.print(nul, List.<String[]>of(new String[] {"tedge/health/tedge-mapper-c8y",
                    "{\"status\":\"up\",\"pid\":1,\"time\":1700000000,\"x\":[1.5,null,{\"y\":false}]}"}));
        } catch (IOException | InterruptedException | RuntimeException e) {
            // a warm-up only: whatever did not load now loads when used
        } finally {
            if (dir != null) delete(dir);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder
        }
    }
}
