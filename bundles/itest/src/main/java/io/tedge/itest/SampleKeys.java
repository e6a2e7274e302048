package io.tedge.itest;

import io.tedge.api.ConfigKey;

/** Keys this test bundle contributes, as a vendor connector would. */
@ConfigKey(key = "itest.sample.url", type = "url", doc = "A key contributed by the itest bundle. Example: example.com")
@ConfigKey(key = "itest.sample.port", type = "port", defaultValue = "8883", doc = "Another contributed key, with a default.")
final class SampleKeys {
    private SampleKeys() {
    }
}
