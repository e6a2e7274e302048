package io.tedge.launcher;

import sun.misc.Signal;

/**
 * SIGTERM as a request to stop, so that a clean stop exits 0 rather than the JVM's 143 (what
 * systemd and a shell expect of a service that stopped as asked). sun.misc.Signal is in the
 * jdk.unsupported module, which is there in every JDK and JRE since 9.
 */
final class Signals {
    private Signals() {
    }

    static void onTerm(Runnable action) {
        Signal.handle(new Signal("TERM"), s -> action.run());
    }
}
