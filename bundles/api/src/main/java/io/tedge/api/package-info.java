/**
 * The tedge plug-in API: the in-process bus with durable consumers, and the annotations a
 * bundle uses to contribute configuration keys. A vendor connector or mapper imports only this.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.tedge.api;
