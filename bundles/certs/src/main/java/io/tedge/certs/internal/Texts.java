package io.tedge.certs.internal;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** The user-facing texts that several classes share (thin-edge.io's wording where it has one). */
public final class Texts {
    private Texts() {
    }

    public static String certificateAlreadyExists(Path path) {
        return "A certificate already exists and would be overwritten.\n Existing file: " + path
                + "\n Run `tedge cert remove` first to generate a new certificate.";
    }

    public static String certificateNotFound(Path path) {
        return "No certificate has been attached to that device.\n Missing file: " + path
                + "\n Run `tedge cert create` to generate a new certificate.";
    }

    public static String keyNotFound(Path path) {
        return "No private key has been attached to that device.\n Missing file: " + path
                + "\n Run `tedge cert create` to generate a new key and certificate.";
    }

    /** A short reason for an I/O error, without repeating the path. */
    public static String reason(Throwable e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file or folder";
        if (e instanceof NotDirectoryException) return "not a folder";
        if (e instanceof FileSystemException fse && fse.getReason() != null) return fse.getReason();
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
