package io.tedge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The exported package shows no third-party type (Jackson stays replaceable behind it). */
class ApiSurfaceTest {
    @Test
    void noThirdPartyTypesInTheExportedApi() {
        List<String> leaks = new ArrayList<>();
        for (Class<?> c : List.of(BoundedProcess.class, BoundedProcess.Spec.class, BoundedProcess.Result.class, CustomOperation.class,
                CustomOperation.Outcome.class, OperationsDir.class, OperationsDir.Supported.class, ConfigPluginFile.class,
                ConfigPluginFile.Entry.class, FileOps.class, LogPluginFile.class, LogPluginFile.Entry.class, LogCollector.class,
                OperationState.class, OperationLog.class)) {
            for (Method m : c.getDeclaredMethods()) {
                if (!Modifier.isPublic(m.getModifiers())) continue;
                check(leaks, c, m.getName(), m.getReturnType());
                for (Class<?> p : m.getParameterTypes()) check(leaks, c, m.getName(), p);
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (!Modifier.isPublic(k.getModifiers())) continue;
                for (Class<?> p : k.getParameterTypes()) check(leaks, c, "<init>", p);
            }
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isPublic(f.getModifiers())) check(leaks, c, f.getName(), f.getType());
            }
        }
        assertThat(leaks).isEmpty();
    }

    private static void check(List<String> leaks, Class<?> owner, String member, Class<?> type) {
        String n = type.getName();
        if (!n.startsWith("java.") && !n.startsWith("io.tedge.agent.") && !type.isPrimitive() && !type.isArray()) {
            leaks.add(owner.getSimpleName() + "." + member + ": " + n);
        }
    }
}
