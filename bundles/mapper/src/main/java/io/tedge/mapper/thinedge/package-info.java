/**
 * Thin Edge JSON, shared by the cloud mappers: the parser and validator of measurement messages
 * (with thin-edge.io's rules and error texts), the ordered model it yields, the Thin Edge JSON
 * writer, the alarm and event messages ({@link io.tedge.mapper.thinedge.ThinEdgeAlarm},
 * {@link io.tedge.mapper.thinedge.ThinEdgeEvent}), and the RFC 3339 timestamp as thin-edge.io
 * reads and prints it. Since 1.1 also two helpers of mappers that keep state: a snapshot of the
 * retained messages ({@link io.tedge.mapper.thinedge.Retained}) and the runtime's reconcile call
 * ({@link io.tedge.mapper.thinedge.Reconciler}). It is plain Java with no
 * OSGi services; no third-party type appears in its API, so the JSON library behind it can be
 * upgraded by refreshing only this bundle.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.tedge.mapper.thinedge;
