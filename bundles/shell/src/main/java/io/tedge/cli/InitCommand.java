package io.tedge.cli;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfig;

/**
 * {@code tedge init [--user U] [--group G]}: creates the folders the agent needs, with their
 * owner and permissions, as thin-edge.io's {@code tedge init} does; what the Debian package's
 * postinst runs, and what a user runs once for an install of their own. Idempotent.
 * <ul>
 * <li>the config dir, {@code device-certs/} and {@code deploy/} (vendor jars, watched by the
 * container): 0755;</li>
 * <li>{@code data.path} and {@code logs.path}: 0700, the agent's own (and, as root, everything
 * in them is given to the agent's user: a journal written by a {@code sudo tedged} stays
 * readable by the service).</li>
 * </ul>
 * As root the folders (and tedge.toml and the certificates) are given to {@code --user}
 * (default {@code tedge}) and {@code --group} (default: the user's name); anyone else keeps them.
 */
final class InitCommand {
    static final String USAGE = String.join("\n",
            "USAGE:",
            "    tedge init [--user <USER>] [--group <GROUP>]",
            "",
            "Initialize Thin Edge: create the config dir, device-certs/, deploy/, data.path and logs.path",
            "with the owner and permissions the agent needs. Safe to run again.",
            "",
            "OPTIONS:",
            "    --user <USER>      The user who runs the agent (as root) [default: tedge]",
            "    --group <GROUP>    Its group (as root) [default: the user's name]",
            "");
    static final Set<PosixFilePermission> PUBLIC_DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private InitCommand() {
    }

    static int run(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed {
        Args a = Tedge.parse(args, USAGE, Set.of("--user", "--group"), Set.of(), Map.of());
        if (a.help) return ConfigCommand.help(ctx, USAGE);
        Tedge.requireArgs(a, 0, 0, USAGE);
        boolean root = Ownership.isRoot();
        String userName = a.value("--user");
        String groupName = a.value("--group");
        if (!root && (userName != null || groupName != null)) {
            throw new CommandFailed("Only root can give the folders to another user: run `sudo tedge init"
                    + (userName != null ? " --user " + userName : "") + (groupName != null ? " --group " + groupName : "") + "`, or leave out --user and --group.");
        }
        UserPrincipal user = null;
        GroupPrincipal group = null;
        if (root) {
            UserPrincipalLookupService names = FileSystems.getDefault().getUserPrincipalLookupService();
            String u = userName != null ? userName : "tedge";
            String g = groupName != null ? groupName : u;
            try {
                user = names.lookupPrincipalByName(u);
            } catch (UserPrincipalNotFoundException e) {
                throw new CommandFailed("The user '" + u + "' does not exist: create it (adduser --system --group " + u
                        + "), or name the agent's user with --user.");
            } catch (IOException e) {
                throw new CommandFailed("Cannot look up the user '" + u + "': " + e.getMessage());
            }
            try {
                group = names.lookupPrincipalByGroupName(g);
            } catch (UserPrincipalNotFoundException e) {
                throw new CommandFailed("The group '" + g + "' does not exist: create it (addgroup --system " + g + "), or name the group with --group.");
            } catch (IOException e) {
                throw new CommandFailed("Cannot look up the group '" + g + "': " + e.getMessage());
            }
        }
        TedgeConfig cfg = ctx.coreConfig();
        Path dir = ctx.configDir;
        Path data = Path.of(cfg.get("data.path").orElse(dir.resolve("data").toString()));
        Path logs = Path.of(cfg.get("logs.path").orElse(dir.resolve("logs").toString()));
        Path certs = dir.resolve("device-certs");
        try {
            folder(dir, PUBLIC_DIR, user, group);
            folder(certs, PUBLIC_DIR, user, group);
            folder(dir.resolve("deploy"), PUBLIC_DIR, user, group);
            folder(data, PRIVATE_DIR, user, group);
            folder(logs, PRIVATE_DIR, user, group);
            if (user != null) {
                Ownership.give(dir.resolve(TedgeConfig.FILE_NAME), user, group);
                for (String key : List.of("device.cert.path", "device.key.path")) {
                    var p = cfg.get(key);
                    if (p.isPresent()) giveQuietly(Path.of(p.get()), user, group);
                }
                try (Stream<Path> s = Files.list(certs)) {
                    for (Path p : (Iterable<Path>) s::iterator) Ownership.give(p, user, group);
                }
                for (Path own : List.of(data, logs)) {
                    try (Stream<Path> s = Files.walk(own)) {
                        for (Path p : (Iterable<Path>) s::iterator) Ownership.give(p, user, group);
                    }
                }
            }
        } catch (IOException e) {
            throw new CommandFailed("tedge init: " + e.getMessage());
        }
        return 0;
    }

    private static void giveQuietly(Path p, UserPrincipal user, GroupPrincipal group) {
        try {
            Ownership.give(p, user, group);
        } catch (IOException e) {
            // a certificate outside the config dir that root keeps: left as it is
        }
    }

    /** Creates the folder if needed, sets its mode exactly (whatever the umask) and, as root, its owner. */
    private static void folder(Path dir, Set<PosixFilePermission> mode, UserPrincipal user, GroupPrincipal group) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create " + dir + ": " + e.getMessage()
                    + (Ownership.isRoot() ? "" : " (run `sudo tedge init`, or choose another --config-dir, data.path or logs.path)"), e);
        }
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) return;
        if (user != null) Ownership.give(dir, user, group);
        if (!Files.getPosixFilePermissions(dir).equals(mode)) Files.setPosixFilePermissions(dir, mode);
    }
}
