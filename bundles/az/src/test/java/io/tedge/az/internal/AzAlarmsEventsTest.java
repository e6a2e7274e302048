package io.tedge.az.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.tedge.api.BusMessage;
import io.tedge.api.Mapper.MappingException;

/** Alarms and events through the Azure mapper: Thin Edge JSON with the time added, 0.12's errors. */
class AzAlarmsEventsTest {

    private static List<BusMessage> map(AzMapper m, String topic, String payload) throws MappingException {
        return m.map(BusMessage.of(topic, payload, 1));
    }

    @Test
    void anAlarmWithoutTimeGetsOne() throws Exception {
        List<BusMessage> out = map(AzMapperTest.mapper(null), "tedge/alarms/major/temperature_high", "{\"text\":\"hot\",\"x\":{\"y\":1}}");
        assertThat(out).hasSize(1);
        assertThat(out.get(0).topic()).isEqualTo("az/messages/events/");
        assertThat(out.get(0).qos()).isEqualTo(1);
        assertThat(out.get(0).text()).isEqualTo("{\"text\":\"hot\",\"x\":{\"y\":1},\"time\":\"2021-04-08T00:00:00+05:00\"}");
    }

    @Test
    void theMessagesTimeIsKeptAndNoneAddedWhenTimestampIsOff() throws Exception {
        assertThat(map(AzMapperTest.mapper("false"), "tedge/events/login/child1", "{\"text\":\"in\",\"time\":\"2023-01-25T18:41:14.776170774Z\"}")
                .get(0).text()).isEqualTo("{\"text\":\"in\",\"time\":\"2023-01-25T18:41:14.776170774Z\"}");
        assertThat(map(AzMapperTest.mapper("false"), "tedge/events/login", "").get(0).text()).isEqualTo("{}");
    }

    @Test
    void aClearIsNotForwarded() throws Exception {
        assertThat(map(AzMapperTest.mapper(null), "tedge/alarms/major/temperature_high", "")).isEmpty();
    }

    @Test
    void badAlarmsAndEventsGiveThinEdge012sErrors() {
        assertThatThrownBy(() -> map(AzMapperTest.mapper(null), "tedge/alarms/severe/a", "{}"))
                .hasMessage("Parsing of alarm message received on topic: tedge/alarms/severe/a failed due to error: Unsupported alarm severity in topic: severe. Snipped payload: {}");
        assertThatThrownBy(() -> map(AzMapperTest.mapper(null), "tedge/events/e", "{\"text\":1}"))
                .hasMessage("Parsing of alarm message received on topic: tedge/events/e failed due to error: invalid type: integer `1`, expected a string at line 1 column 9. Snipped payload: {\"text\":1}");
    }
}
