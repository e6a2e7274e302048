package io.tedge.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Registered by the bridge runtime, with property {@link CloudConnector#CLOUD}, while a cloud
 * is connected ({@code <cloud>.connect = true}) and its link is configured, i.e. once the link and
 * its journal cursor exist, so that what a mapper publishes for the cloud is forwarded. A component that should only run then (a
 * cloud's mapper) references it: {@code @Reference(target = "(tedge.cloud=c8y)") CloudConnected}.
 */
@ProviderType
public interface CloudConnected {
    /**
     * The cloud's name.
     *
     * @return e.g. {@code c8y}
     */
    String cloud();
}
