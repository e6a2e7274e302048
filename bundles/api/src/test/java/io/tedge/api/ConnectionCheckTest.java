package io.tedge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

class ConnectionCheckTest {
    /** A bus where a "cloud" answers publishes on one topic with a message on another. */
    static final class EchoBus implements Bus {
        final List<String> published = new CopyOnWriteArrayList<>();
        final List<Consumer<BusMessage>> listeners = new CopyOnWriteArrayList<>();
        int answerAfter;
        boolean fail;

        @Override
        public void publish(String topic, byte[] payload, int qos, boolean retain) throws BusException {
            if (fail) throw new BusException("journal full");
            published.add(topic + " " + new String(payload) + " q" + qos);
            if (topic.equals("acme/out") && published.stream().filter(p -> p.startsWith("acme/out")).count() > answerAfter) {
                for (Consumer<BusMessage> l : listeners) l.accept(BusMessage.of("acme/in", "pong:" + new String(payload), 1));
            }
        }

        @Override
        public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }

        @Override
        public DurableConsumer consumer(String name, Collection<String> filters) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void answeredAfterTheFirstMessageAndARetry() throws Exception {
        EchoBus bus = new EchoBus();
        bus.answerAfter = 1;
        Optional<BusMessage> m = ConnectionCheck.on(bus).listen("acme/in").first("acme/register", "hello").request("acme/out", "ping")
                .accept(x -> x.text().startsWith("pong:")).attempts(3, Duration.ofMillis(10)).run(Duration.ofSeconds(30));
        assertThat(m).map(BusMessage::text).contains("pong:ping");
        assertThat(bus.published).containsExactly("acme/register hello q1", "acme/out ping q1", "acme/out ping q1");
        assertThat(bus.listeners).isEmpty();
    }

    @Test
    void noAnswerIsEmptyAfterTheAttempts() throws Exception {
        EchoBus bus = new EchoBus();
        bus.answerAfter = 100;
        assertThat(ConnectionCheck.on(bus).listen("acme/in").request("acme/out", "ping").attempts(2, Duration.ofMillis(5))
                .run(Duration.ofMillis(100))).isEmpty();
        assertThat(new ArrayList<>(bus.published)).hasSize(2);
    }

    @Test
    void aBusThatRefusesFailsTheCheck() {
        EchoBus bus = new EchoBus();
        bus.fail = true;
        assertThatThrownBy(() -> ConnectionCheck.on(bus).listen("acme/in").request("acme/out", "x").run(Duration.ofSeconds(1)))
                .isInstanceOf(CloudConnector.ConnectorException.class).hasMessageContaining("journal full");
        assertThatThrownBy(() -> ConnectionCheck.on(bus).run(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
    }
}
