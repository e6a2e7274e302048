package io.tedge.c8y.internal.operations;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.tedge.json.ArrayNode;
import io.tedge.json.Json;
import io.tedge.json.ObjectNode;

/**
 * {@code 528,<device>,<name>,<version>,<url>,<action>[,<name>,<version>,<url>,<action>...]} to the
 * agent's request on {@code tedge/commands/req/software/update}, as thin-edge.io 0.12 maps it:
 *
 * <ul>
 * <li>The version field is split at its last {@code ::} into version and software type
 * ({@code 1.0::apt}, {@code ::apt}); without {@code ::} the type is {@code default}; a blank
 * version is none.</li>
 * <li>A blank URL is none; {@code delete} becomes {@code remove} and drops the URL; any other
 * action than {@code install} or {@code delete} is an error.</li>
 * <li>Modules are grouped by type, in the order the types first appear.</li>
 * <li>{@code "auth":{"bearer":<JWT>}} is added only for an HTTPS URL on the tenant's own host
 * (thin-edge.io compares the domain after the first dot, which would hand the JWT to any other
 * tenant of the same Cumulocity instance).</li>
 * </ul>
 */
public final class SoftwareRequest {
    private SoftwareRequest() {
    }

    /** A 528 that cannot be mapped; the message is the text for {@code 502}. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }

    /**
     * The request JSON.
     *
     * @param fields     the 528 line's fields
     * @param id         the operation id
     * @param tenantHost whether a URL's host is the tenant's
     * @param jwt        the JWT, asked for only when a module needs it
     */
    public static ObjectNode of(List<String> fields, String id, Predicate<URI> tenantHost, Supplier<String> jwt) throws Invalid {
        Map<String, ArrayNode> byType = new LinkedHashMap<>();
        if (fields.size() < 6 || (fields.size() - 2) % 4 != 0) {
            throw new Invalid("Invalid SmartREST 528 request: expected groups of name, version, url, action");
        }
        for (int i = 2; i + 3 < fields.size(); i += 4) {
            String name = fields.get(i);
            String versionField = fields.get(i + 1);
            String url = fields.get(i + 2);
            String action = fields.get(i + 3);
            String version = versionField;
            String type = "default";
            int sep = versionField.lastIndexOf("::");
            if (sep >= 0) {
                version = versionField.substring(0, sep);
                type = versionField.substring(sep + 2);
            }
            if (version.isBlank()) version = null;
            if (url.isBlank()) url = null;
            ObjectNode m = Json.object();
            m.put("name", name);
            if (version != null) m.put("version", version);
            switch (action) {
                case "install":
                    if (url != null) {
                        m.put("url", url);
                        if (isTenant(url, tenantHost)) {
                            String token = jwt.get();
                            if (token != null) m.putObject("auth").put("bearer", token);
                        }
                    }
                    m.put("action", "install");
                    break;
                case "delete":
                    m.put("action", "remove");
                    break;
                default:
                    throw new Invalid("Parameter " + action + " is not recognized. It must be install or delete.");
            }
            byType.computeIfAbsent(type, t -> Json.array()).add(m);
        }
        ObjectNode req = Json.object();
        req.put("id", id);
        ArrayNode list = req.putArray("updateList");
        byType.forEach((type, modules) -> {
            ObjectNode t = list.addObject();
            t.put("type", type);
            t.set("modules", modules);
        });
        return req;
    }

    private static boolean isTenant(String url, Predicate<URI> tenantHost) {
        try {
            return tenantHost.test(URI.create(url));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
