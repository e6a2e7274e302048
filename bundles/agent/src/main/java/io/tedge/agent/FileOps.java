package io.tedge.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.Set;

/**
 * File operations of configuration management: a file is replaced atomically (a temporary file
 * beside it, owner, group and mode set, fsync, rename), so a reader sees the old or the new
 * content, never a part, and a failure leaves the old file as it was.
 */
public final class FileOps {
    private static final PosixFilePermission[] BITS = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};

    private FileOps() {
    }

    /** Permission bits (e.g. 0644) as a set; set-id and sticky bits are not supported by Java and ignored. */
    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < BITS.length; i++) {
            if ((mode & (1 << i)) != 0) s.add(BITS[i]);
        }
        return s;
    }

    /** The permission bits of a set. */
    public static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (int i = 0; i < BITS.length; i++) {
            if (perms.contains(BITS[i])) m |= 1 << i;
        }
        return m;
    }

    /**
     * Replaces {@code target} with the content of {@code in} (at most {@code maxBytes}), then
     * applies the owner, group and mode given; those not given are kept from the existing file
     * (a new file gets the process's defaults). Missing folders are created.
     *
     * @throws IOException with what went wrong (unknown user or group, too large, no permission);
     *                     the target is then unchanged
     */
    public static void replace(Path target, InputStream in, long maxBytes, String user, String group, Integer mode)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal owner = null;
        GroupPrincipal grp = null;
        try {
            if (user != null) owner = lookup.lookupPrincipalByName(user);
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("The user '" + user + "' of " + target + " does not exist on this device");
        }
        try {
            if (group != null) grp = lookup.lookupPrincipalByGroupName(group);
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("The group '" + group + "' of " + target + " does not exist on this device");
        }
        PosixFileAttributes old = Files.exists(target)
                ? Files.readAttributes(target, PosixFileAttributes.class) : null;
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            long n = 0;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[8192];
                int r;
                while ((r = in.read(buf)) >= 0) {
                    n += r;
                    if (n > maxBytes) throw new IOException("The new content of " + target + " is larger than " + maxBytes + " bytes");
                    ch.write(java.nio.ByteBuffer.wrap(buf, 0, r));
                }
                ch.force(true);
            }
            PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
            if (owner == null && old != null) owner = old.owner();
            if (grp == null && old != null) grp = old.group();
            if (owner != null) view.setOwner(owner);
            if (grp != null) view.setGroup(grp);
            if (mode != null) {
                view.setPermissions(permissions(mode));
            } else if (old != null) {
                view.setPermissions(old.permissions());
            } else {
                view.setPermissions(permissions(0644));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes a small state or log file of the agent atomically (temporary file, fsync, rename)
     * with mode 0600: the agent's data and logs are its user's only, whatever the umask (issue 13).
     */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        replace(target, new java.io.ByteArrayInputStream(content), content.length, null, null, 0600);
    }
}
