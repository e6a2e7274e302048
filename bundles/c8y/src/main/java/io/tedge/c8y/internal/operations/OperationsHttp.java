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
}
