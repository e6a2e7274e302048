package io.tedge.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.annotation.bundle.Attribute;
import org.osgi.annotation.bundle.Capability;

/**
 * Declares a tedge.toml key that a bundle contributes. bnd turns each use into a
 * {@code Provide-Capability: tedge.config.key} manifest clause, which the running container
 * (and {@code bin/tedge}, which reads the jars in {@code bundle/} and {@code deploy/}) use to
 * validate, document and default the key. Put it on any class of the bundle:
 *
 * <pre>
 * &#64;ConfigKey(key = "acme.url", type = "url", doc = "Host name of the ACME cloud.")
 * &#64;ConfigKey(key = "acme.port", type = "port", defaultValue = "8883", doc = "MQTT port of the ACME cloud.")
 * public class AcmeConnector { ... }
 * </pre>
 *
 * The key's table in tedge.toml is its first segment, the field the rest joined with
 * {@code _}: {@code acme.root.cert.path} is {@code [acme] root_cert_path}. A bundle's keys are
 * pushed to ConfigAdmin under the PID {@code tedge.<first segment>}, with the dotted key as the
 * property name.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.PACKAGE})
@Repeatable(ConfigKey.List.class)
@Capability(namespace = ConfigKey.NAMESPACE)
public @interface ConfigKey {
    /** The capability namespace. */
    String NAMESPACE = "tedge.config.key";

    /**
     * The dotted key, e.g. {@code acme.url}. Lower case letters, digits, '_' and '.'.
     *
     * @return the key
     */
    @Attribute(NAMESPACE)
    String key();

    /**
     * The value type, which decides the validation: {@code string}, {@code url} (host name
     * without scheme or port), {@code port}, {@code flag} (true/false), {@code path},
     * {@code host_port}, {@code ip}, {@code int}, {@code level} (a log level) or
     * {@code size} (bytes, with optional k/M/G suffix), or {@code choice:a|b|c}.
     *
     * @return the type
     */
    @Attribute("type")
    String type() default "string";

    /**
     * The default, used when the key is not set; {@code ${other.key}} is replaced by that
     * key's value.
     *
     * @return the default, empty for none
     */
    @Attribute("default")
    String defaultValue() default "";

    /**
     * One line of documentation, shown by {@code tedge config list --doc}.
     *
     * @return the text, best ending with {@code Example: <value>}
     */
    @Attribute("doc")
    String doc();

    /** Container for repeated {@link ConfigKey}s. */
    @Documented
    @Retention(RetentionPolicy.CLASS)
    @Target({ElementType.TYPE, ElementType.PACKAGE})
    @interface List {
        /**
         * The keys.
         *
         * @return the repeated annotations
         */
        ConfigKey[] value();
    }
}
