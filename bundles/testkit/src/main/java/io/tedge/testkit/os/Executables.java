package io.tedge.testkit.os;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the programs the tests run (mosquitto, mosquitto_sub, openssl, dpkg-deb...) where Debian
 * installs them, whether or not that folder is on the PATH: a normal user's PATH has no
 * {@code /usr/sbin}, where {@code mosquitto} lives. This package has no dependency beyond the
 * JDK, so an in-framework test bundle can embed it ({@code -conditionalpackage}).
 */
public final class Executables {
    /** Searched after the PATH, in this order. */
    static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin", "/bin");

    private Executables() {
    }

    /**
     * The absolute path of the program {@code name}: the first executable file of that name on
     * the PATH, else in the system folders.
     *
     * @throws IllegalStateException saying where it was looked for and how to install it
     */
    public static Path find(String name) {
        return find(name, System.getenv("PATH"));
    }

    static Path find(String name, String pathVariable) {
        List<String> dirs = new ArrayList<>();
        if (pathVariable != null) {
            for (String d : pathVariable.split(File.pathSeparator)) {
                if (!d.isEmpty()) dirs.add(d);
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        for (String d : dirs) {
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p.toAbsolutePath();
        }
        throw new IllegalStateException(name + " was found neither on the PATH nor in " + String.join(", ", SYSTEM_DIRS)
                + ". Install it (Debian: apt-get install " + debianPackage(name) + "), or run the tests with ./test.sh, which does.");
    }

    /** The Debian package that ships the program, for the error message. */
    static String debianPackage(String name) {
        if (name.equals("mosquitto")) return "mosquitto";
        if (name.startsWith("mosquitto_")) return "mosquitto-clients";
        if (name.startsWith("dpkg")) return "dpkg";
        return name;
    }
}
