package io.tedge.c8y.internal.operations;

import java.io.IOException;

/**
 * The Cumulocity REST calls of device management, made with the tenant's JWT over the c8y
 * bundle's HTTP client: the device's managed object (found by identity lookup), events with a
 * binary attachment, downloads.
 */
public interface OperationsHttp {
    /** The tenant's JWT (from {@code s/uat}). */
    String jwt() throws IOException, InterruptedException;

    /** {@code PUT /inventory/managedObjects/<internal id of the device>} with this JSON body. */
    void updateDevice(byte[] json) throws IOException, InterruptedException;

    /**
     * {@code POST /event/events/} ({@code type}, {@code text}, now, the device as source), then
     * {@code POST /event/events/<id>/binaries} with the content ({@code text/plain}); returns the
     * binary's URL {@code https://<c8y.url>/event/events/<id>/binaries}.
     */
    String uploadEventBinary(String type, String text, byte[] content) throws IOException, InterruptedException;

    /**
     * GET of a URL (with the JWT only when it is the tenant's own host), at most {@code maxBytes}.
     */
    byte[] download(String url, long maxBytes) throws IOException, InterruptedException;
}
