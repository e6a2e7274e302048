package io.tedge.plugins.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.service.component.runtime.dto.ReferenceDTO;

/**
 * When does the plug-in inventory call deploy/ settled: the states SCR reports for the components
 * of a deploy/ bundle (DTOs as the DS 1.5 runtime spec defines them) and whether their service is
 * registered.
 */
class PendingComponentsTest {

    private static ComponentDescriptionDTO desc(String name, String policy, String... services) {
        ComponentDescriptionDTO d = new ComponentDescriptionDTO();
        d.name = name;
        d.configurationPolicy = policy;
        d.serviceInterfaces = services;
        return d;
    }

    private static ComponentConfigurationDTO config(long id, int state, String... unsatisfied) {
        ComponentConfigurationDTO c = new ComponentConfigurationDTO();
        c.id = id;
        c.state = state;
        c.unsatisfiedReferences = new UnsatisfiedReferenceDTO[unsatisfied.length];
        for (int i = 0; i < unsatisfied.length; i++) {
            c.unsatisfiedReferences[i] = new UnsatisfiedReferenceDTO();
            c.unsatisfiedReferences[i].name = unsatisfied[i];
        }
        return c;
    }

    private static List<String> pending(List<ComponentDescriptionDTO> descs, Map<String, List<ComponentConfigurationDTO>> configs,
            Set<Long> registered) {
        return PluginInventory.pending("vendor", descs, d -> true, d -> configs.getOrDefault(d.name, List.of()), registered::contains);
    }

    @Test
    void aBundleWhoseComponentsScrHasNotReadIsPending() {
        assertThat(PluginInventory.pending("vendor", List.of(), d -> true, d -> List.of(), id -> true))
                .containsExactly("vendor: its components are not read by SCR yet");
    }

    @Test
    void aConnectorIsSettledOnlyOnceItsServiceIsRegistered() {
        List<ComponentDescriptionDTO> d = List.of(desc("Conn", "optional", "io.tedge.api.CloudConnector"));
        assertThat(pending(d, Map.of(), Set.of())).containsExactly("vendor/Conn: not enabled yet");
        Map<String, List<ComponentConfigurationDTO>> satisfied = Map.of("Conn", List.of(config(7, ComponentConfigurationDTO.SATISFIED)));
        assertThat(pending(d, satisfied, Set.of())).containsExactly("vendor/Conn: its service is not registered yet");
        assertThat(pending(d, satisfied, Set.of(7L))).isEmpty();
        assertThat(pending(d, Map.of("Conn", List.of(config(7, ComponentConfigurationDTO.ACTIVE))), Set.of(7L))).isEmpty();
    }

    @Test
    void aComponentWaitingForAServiceIsPendingWithTheReferenceNamed() {
        List<ComponentDescriptionDTO> d = List.of(desc("Conn", "optional", "io.tedge.api.CloudConnector"));
        assertThat(pending(d, Map.of("Conn", List.of(config(3, ComponentConfigurationDTO.UNSATISFIED_REFERENCE, "bus", "certs"))), Set.of()))
                .containsExactly("vendor/Conn: waits for bus, certs");
    }

    @Test
    void whatWaitingCannotChangeDoesNotHoldTheContainerUnsettled() {
        List<ComponentDescriptionDTO> d = List.of(desc("NeedsConfig", "require", "x.Y"), desc("Broken", "optional", "x.Z"),
                desc("Worker", "optional"));
        Map<String, List<ComponentConfigurationDTO>> configs = Map.of(
                "Broken", List.of(config(4, ComponentConfigurationDTO.FAILED_ACTIVATION)),
                "Worker", List.of(config(5, ComponentConfigurationDTO.ACTIVE)));
        assertThat(pending(d, configs, Set.of())).isEmpty();
        assertThat(PluginInventory.pending("vendor", List.of(desc("Off", "optional", "x.Y")), x -> false, x -> List.of(), id -> false)).isEmpty();
    }

    @Test
    void aMapperWaitingOnlyForItsCloudDoesNotHoldTheContainerUnsettled() {
        // as bnd writes a constructor reference: named $000, the interface in the description
        ComponentDescriptionDTO mapper = desc("Mapper", "optional");
        ComponentDescriptionDTO both = desc("Both", "optional");
        mapper.references = new ReferenceDTO[] {reference("$000", "io.tedge.api.CloudConnected")};
        both.references = new ReferenceDTO[] {reference("connected", "io.tedge.api.CloudConnected"), reference("bus", "io.tedge.api.Bus")};
        Map<String, List<ComponentConfigurationDTO>> configs = Map.of(
                "Mapper", List.of(config(8, ComponentConfigurationDTO.UNSATISFIED_REFERENCE, "$000")),
                "Both", List.of(config(9, ComponentConfigurationDTO.UNSATISFIED_REFERENCE, "connected", "bus")));
        assertThat(pending(List.of(mapper, both), configs, Set.of())).containsExactly("vendor/Both: waits for connected, bus");
    }

    private static ReferenceDTO reference(String name, String interfaceName) {
        ReferenceDTO r = new ReferenceDTO();
        r.name = name;
        r.interfaceName = interfaceName;
        return r;
    }
}
