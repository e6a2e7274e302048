/**
 * The local half of device management, shared by the agent and the cloud operation components:
 * processes run with a bounded time and bounded captured output ({@link io.tedge.agent.BoundedProcess}),
 * the operation files of {@code <config dir>/operations/<cloud>/} and their custom operations,
 * the configuration and log plug-in files with their file operations, and the in-flight
 * operation states under {@code data.path}. No third-party type appears in this API.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.tedge.agent;
