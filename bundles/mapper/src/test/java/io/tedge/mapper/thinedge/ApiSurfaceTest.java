package io.tedge.mapper.thinedge;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The exported package keeps Jackson out of its API, so that the JSON library can be upgraded by
 * refreshing only the mapper bundle: no public or protected signature of a public type here names
 * a {@code com.fasterxml} type.
 */
class ApiSurfaceTest {

    private static final String JACKSON = "com.fasterxml.";

    @Test
    void noJacksonTypeInThePublicApi() {
        List<String> leaks = new ArrayList<>();
        for (Class<?> c : publicTypes(ThinEdgeJson.class, Timestamp.class, ThinEdgeAlarm.class, ThinEdgeEvent.class, Fields.class, Retained.class,
                Reconciler.class).toList()) {
            check(c.getName() + " extends", c.getGenericSuperclass(), leaks);
            for (Type i : c.getGenericInterfaces()) check(c.getName() + " implements", i, leaks);
            for (Field f : c.getDeclaredFields()) {
                if (visible(f)) check(name(f), f.getGenericType(), leaks);
            }
            for (Executable e : Stream.concat(Stream.of(c.getDeclaredConstructors()), Stream.of(c.getDeclaredMethods())).toList()) {
                if (!visible(e)) continue;
                if (e instanceof Method m) check(name(m), m.getGenericReturnType(), leaks);
                for (Type t : e.getGenericParameterTypes()) check(name(e), t, leaks);
                for (Type t : e.getGenericExceptionTypes()) check(name(e), t, leaks);
            }
        }
        assertThat(leaks).isEmpty();
    }

    private static Stream<Class<?>> publicTypes(Class<?>... roots) {
        return Stream.of(roots).flatMap(c -> Stream.concat(Stream.of(c), publicTypes(c.getDeclaredClasses())))
                .filter(c -> Modifier.isPublic(c.getModifiers()));
    }

    private static boolean visible(Member m) {
        return (m.getModifiers() & (Modifier.PUBLIC | Modifier.PROTECTED)) != 0 && !m.isSynthetic();
    }

    private static String name(Member m) {
        return m.getDeclaringClass().getName() + "." + m.getName();
    }

    private static void check(String where, Type t, List<String> leaks) {
        if (t == null) return;
        if (t instanceof Class<?> c) {
            if (c.isArray()) {
                check(where, c.getComponentType(), leaks);
            } else if (c.getName().startsWith(JACKSON)) {
                leaks.add(where + ": " + c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            check(where, p.getRawType(), leaks);
            for (Type a : p.getActualTypeArguments()) check(where, a, leaks);
        } else if (t instanceof GenericArrayType a) {
            check(where, a.getGenericComponentType(), leaks);
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) check(where, b, leaks);
            for (Type b : w.getLowerBounds()) check(where, b, leaks);
        }
    }
}
