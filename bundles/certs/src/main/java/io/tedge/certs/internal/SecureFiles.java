package io.tedge.certs.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes key and certificate files. A new file is created (never replaced) with its restricted
 * permissions from the first moment, so a private key is never readable by others, not even
 * while it is written; then it gets its final mode.
 */
public final class SecureFiles {
    public static final Set<PosixFilePermission> KEY_WHILE_WRITING = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> KEY_FINAL = PosixFilePermissions.fromString("r--------");
    public static final Set<PosixFilePermission> CERT_WHILE_WRITING = PosixFilePermissions.fromString("rw-r--r--");
    public static final Set<PosixFilePermission> CERT_FINAL = PosixFilePermissions.fromString("r--r--r--");

    private SecureFiles() {
    }

    public static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Creates {@code file} (it must not exist: {@link FileAlreadyExistsException}) with
     * {@code whileWriting}, writes and syncs the content, then sets {@code finalMode}. On any
     * failure after the file was created, it is deleted again.
     */
    public static void createNew(Path file, byte[] content, Set<PosixFilePermission> whileWriting,
            Set<PosixFilePermission> finalMode) throws IOException {
        boolean posix = isPosix(file);
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(whileWriting)}
                : new FileAttribute<?>[0];
        FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs);
        boolean done = false;
        try {
            try (ch) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            if (posix) Files.setPosixFilePermissions(file, finalMode);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(file);
        }
    }

    /** Writes a file that may be replaced (temp file in the same folder, sync, rename). */
    public static void replace(Path file, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        createNew(tmp, content, mode, mode);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Creates the parent folders of a file when missing. */
    public static void createParents(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) Files.createDirectories(parent);
    }

    static boolean isPosix(Path file) {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
