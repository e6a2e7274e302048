package io.tedge.broker.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files and folders of the agent's state (journal, cursors, broker state): folders 0700 and files
 * 0600 whatever the umask, set explicitly at creation (messages may hold secrets of the devices'
 * applications). On a file system without POSIX permissions nothing is set.
 */
public final class PrivateFiles {
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private PrivateFiles() {
    }

    private static boolean posix(Path p) {
        try {
            Path existing = p;
            while (existing != null && !Files.exists(existing)) existing = existing.getParent();
            return existing != null && Files.getFileStore(existing).supportsFileAttributeView(PosixFileAttributeView.class);
        } catch (IOException e) {
            return false;
        }
    }

    /** Creates the folder and its missing parents as 0700 (existing folders are left as they are). */
    public static void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return;
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) createDirectories(parent);
        boolean posix = posix(dir);
        try {
            if (posix) Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR));
            else Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) throw e;
            return;
        }
        if (posix) Files.setPosixFilePermissions(dir, DIR); // not subject to the umask
    }

    /** Opens a file, creating it 0600 when it does not exist. */
    public static FileChannel open(Path file, Set<StandardOpenOption> options) throws IOException {
        if (!options.contains(StandardOpenOption.CREATE) || Files.exists(file) || !posix(file)) {
            return FileChannel.open(file, options);
        }
        FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(FILE);
        FileChannel ch = FileChannel.open(file, options, attr);
        Files.setPosixFilePermissions(file, FILE);
        return ch;
    }

    /** Replaces a file atomically (temp file 0600, write, optional fsync, rename). */
    public static void replace(Path target, byte[] data, boolean fsync) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = open(tmp, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) ch.write(b);
            if (fsync) ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
