package io.tedge.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.service.ServiceExtension;

import io.tedge.config.ConfigKeyDef;
import io.tedge.config.TedgeConfigService;

/** tedge.toml edits reach ConfigAdmin, and only the changed PIDs are updated. */
@ExtendWith(ServiceExtension.class)
class ConfigIT {
    @InjectService
    ConfigurationAdmin cm;
    @InjectService
    TedgeConfigService config;

    private Object prop(String pid, String key) {
        try {
            Configuration[] cs = cm.listConfigurations("(service.pid=" + pid + ")");
            if (cs == null) return null;
            Dictionary<String, Object> d = cs[0].getProperties();
            return d == null ? null : d.get(key);
        } catch (Exception e) {
            return null;
        }
    }

    @Test
    void editsOfTedgeTomlArePushedToOnlyTheAffectedPids() throws Exception {
        int port = Support.embeddedBrokerOnFreePort();
        List<String> updated = Collections.synchronizedList(new ArrayList<>());
        ServiceRegistration<ConfigurationListener> reg = Support.context().registerService(ConfigurationListener.class,
                (ConfigurationEvent e) -> updated.add(e.getPid()), null);
        try {
            // by hand, as a user with an editor would
            Support.writeToml("[mqtt]\nport = " + port + "\n\n[c8y]\nurl = \"tenant.example.com\"\n");
            Support.await("c8y.url in ConfigAdmin", Duration.ofSeconds(10), () -> "tenant.example.com".equals(prop("tedge.c8y", "c8y.url")));
            assertThat(prop("tedge.c8y", "c8y.mqtt")).isEqualTo("tenant.example.com:8883");
            assertThat(prop("tedge.c8y", "c8y.http")).isEqualTo("tenant.example.com:443");
            Support.await("the listener", Duration.ofSeconds(5), () -> updated.contains("tedge.c8y"));
            assertThat(updated).as("unchanged tables are not touched").doesNotContain("tedge.mqtt", "tedge.data", "tedge.device", "tedge.logs");
        } finally {
            reg.unregister();
        }
    }

    @Test
    void aBadValueInTheFileIsReportedAndTheOtherKeysStillApply() throws Exception {
        int port = Support.embeddedBrokerOnFreePort();
        Support.writeToml("[mqtt]\nport = " + port + "\n\n[az]\nurl = \"hub.example.net\"\nmapper_timestamp = \"maybe\"\n");
        Support.await("az.url", Duration.ofSeconds(10), () -> "hub.example.net".equals(prop("tedge.az", "az.url")));
        assertThat(prop("tedge.az", "az.mapper.timestamp")).as("the invalid flag is not pushed").isNull();
    }

    @Test
    void keysDeclaredByABundleAreInTheRegistry() {
        ConfigKeyDef d = config.registry().find("itest.sample.port");
        assertThat(d).isNotNull();
        assertThat(d.type()).isEqualTo("port");
        assertThat(d.defaultValue()).isEqualTo("8883");
        assertThat(d.origin()).isEqualTo("io.tedge.itest");
        assertThat(config.registry().find("itest.sample.url").doc()).contains("contributed by the itest bundle");
    }

    @Test
    void contributedKeysArePushedUnderTheirOwnPid() throws Exception {
        int port = Support.embeddedBrokerOnFreePort();
        Support.writeToml("[mqtt]\nport = " + port + "\n\n[itest]\nsample_url = \"vendor.example.org\"\n");
        Support.await("itest.sample.url", Duration.ofSeconds(10), () -> "vendor.example.org".equals(prop("tedge.itest", "itest.sample.url")));
        assertThat(prop("tedge.itest", "itest.sample.port")).isEqualTo("8883");
    }
}
