package io.tedge.cli;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;

/**
 * Files written by root belong to the agent: {@code sudo tedge config set ...} or {@code sudo
 * tedge cert create ...} on a config dir owned by another user (the packaged {@code /etc/tedge},
 * owned by {@code tedge} after {@code tedge init}) give what they wrote to that owner, so the
 * service, running as that user, can read and update it. The modes are left as they are (the
 * private key stays owner-only).
 */
final class Ownership {
    private Ownership() {
    }

    static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * When run by root and the config dir is owned by someone else: each existing path, and each
     * of its folders up to the config dir, is given to the config dir's owner and group.
     */
    static void adopt(CommandContext ctx, List<Path> written) throws CommandFailed {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix") || !isRoot()) return;
        Path dir = ctx.configDir;
        try {
            if (!Files.isDirectory(dir)) return;
            PosixFileAttributes owner = Files.readAttributes(dir, PosixFileAttributes.class);
            if (owner.owner().getName().equals("root")) return;
            for (Path p : written) {
                Path abs = p.toAbsolutePath().normalize();
                for (Path q = abs; q != null && !q.equals(dir) && q.startsWith(dir); q = q.getParent()) give(q, owner.owner(), owner.group());
                if (!abs.startsWith(dir)) give(abs, owner.owner(), owner.group());
            }
        } catch (IOException e) {
            throw new CommandFailed("Cannot give " + written + " to the owner of " + dir + ": " + e.getMessage());
        }
    }

    static void give(Path p, UserPrincipal user, GroupPrincipal group) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributes a = v.readAttributes();
        if (!a.owner().equals(user)) v.setOwner(user);
        if (!a.group().equals(group)) v.setGroup(group);
    }
}
