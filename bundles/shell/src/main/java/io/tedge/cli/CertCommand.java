package io.tedge.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.tedge.certs.CertException;
import io.tedge.certs.DeviceCertificates;
import io.tedge.config.ConfigException;

/** {@code tedge cert create|create-csr|show|remove|upload c8y}. */
final class CertCommand {
    static final String USAGE = String.join("\n",
            "tedge cert: Create and manage device certificate",
            "",
            "USAGE:",
            "    tedge cert <SUBCOMMAND>",
            "",
            "SUBCOMMANDS:",
            "    create        Create a self-signed device certificate",
            "    create-csr    Create a certificate signing request for the device key (a new key if there is none)",
            "    show          Show the device certificate, if any",
            "    remove        Remove the device certificate",
            "    upload        Upload root certificate",
            "");
    static final String CREATE = String.join("\n",
            "USAGE:",
            "    tedge cert create --device-id <ID>",
            "",
            "Create a self-signed device certificate (ECDSA P-256) and its key, at device.cert.path and device.key.path",
            "",
            "OPTIONS:",
            "    --device-id <ID>    The device identifier to be used as the common name for the certificate",
            "");
    static final String CSR = String.join("\n",
            "USAGE:",
            "    tedge cert create-csr [--device-id <ID>] [--output-path <PATH>]",
            "",
            "Create a PKCS#10 certificate signing request for the device key, for a certificate issued by a CA",
            "",
            "OPTIONS:",
            "    --device-id <ID>        Common name of the request [default: the CN of the current certificate]",
            "    --output-path <PATH>    Where to write the request [default: <config dir>/device-certs/tedge.csr]",
            "");
    static final String SHOW = "USAGE:\n    tedge cert show\n\nShow the device certificate, if any\n";
    static final String REMOVE = "USAGE:\n    tedge cert remove\n\nRemove the device certificate and its key\n";
    static final String UPLOAD = String.join("\n",
            "USAGE:",
            "    tedge cert upload c8y --user <USER>",
            "",
            "Upload the device certificate to the Cumulocity tenant's trusted certificates (c8y.http, default <c8y.url>:443).",
            "The password is read from $C8YPASS (or $C8Y_PASSWORD), else asked for without echo.",
            "",
            "OPTIONS:",
            "    -u, --user <USER>    Provided username should be a Cumulocity user with tenant management permissions",
            "");

    private CertCommand() {
    }

    static int run(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed {
        if (args.isEmpty()) throw new UsageException("A subcommand is required", USAGE);
        String sub = args.get(0);
        List<String> rest = args.subList(1, args.size());
        try {
            switch (sub) {
                case "create": {
                    Args a = Tedge.parse(rest, CREATE, Set.of("--device-id", "--id"), Set.of(), Map.of("--id", "--device-id"));
                    if (a.help) return ConfigCommand.help(ctx, CREATE);
                    Tedge.requireArgs(a, 0, 0, CREATE);
                    String id = a.value("--device-id");
                    if (id == null) throw new UsageException("The following required arguments were not provided: --device-id <ID>", CREATE);
                    DeviceCertificates dc = new DeviceCertificates(ctx.coreConfig());
                    dc.create(id);
                    Ownership.adopt(ctx, deviceFiles(ctx));
                    ctx.out.print(new DeviceCertificates(ctx.coreConfig()).show());
                    return 0;
                }
                case "create-csr": {
                    Args a = Tedge.parse(rest, CSR, Set.of("--device-id", "--output-path"), Set.of(), Map.of());
                    if (a.help) return ConfigCommand.help(ctx, CSR);
                    Tedge.requireArgs(a, 0, 0, CSR);
                    Path out = new DeviceCertificates(ctx.coreConfig()).createCsr(Optional.ofNullable(a.value("--device-id")),
                            Optional.ofNullable(a.value("--output-path")).map(Path::of));
                    List<Path> written = new java.util.ArrayList<>(deviceFiles(ctx));
                    written.add(out);
                    Ownership.adopt(ctx, written);
                    ctx.out.println("Certificate Signing Request was successfully created: " + out);
                    return 0;
                }
                case "show": {
                    Args a = Tedge.parse(rest, SHOW, Set.of(), Set.of(), Map.of());
                    if (a.help) return ConfigCommand.help(ctx, SHOW);
                    Tedge.requireArgs(a, 0, 0, SHOW);
                    ctx.out.print(new DeviceCertificates(ctx.coreConfig()).show());
                    return 0;
                }
                case "remove": {
                    Args a = Tedge.parse(rest, REMOVE, Set.of(), Set.of(), Map.of());
                    if (a.help) return ConfigCommand.help(ctx, REMOVE);
                    Tedge.requireArgs(a, 0, 0, REMOVE);
                    ctx.out.println(new DeviceCertificates(ctx.coreConfig()).remove().message());
                    return 0;
                }
                case "upload": {
                    Args a = Tedge.parse(rest, UPLOAD, Set.of("-u", "--user"), Set.of(), Map.of("-u", "--user"));
                    if (a.help) return ConfigCommand.help(ctx, UPLOAD);
                    Tedge.requireArgs(a, 1, 1, UPLOAD);
                    if (!a.positionals.get(0).equals("c8y")) {
                        throw new UsageException("Found argument '" + a.positionals.get(0) + "' which wasn't expected (only c8y)", UPLOAD);
                    }
                    String user = a.value("--user");
                    if (user == null) user = ctx.env.get("C8Y_USER");
                    if (user == null) throw new UsageException("The following required arguments were not provided: --user <USER>", UPLOAD);
                    char[] password = password(ctx);
                    try {
                        ctx.out.println(new DeviceCertificates(ctx.coreConfig()).uploadC8y(user, password).message());
                    } finally {
                        Arrays.fill(password, '\0');
                    }
                    return 0;
                }
                case "-h":
                case "--help":
                    return ConfigCommand.help(ctx, USAGE);
                default:
                    throw new UsageException("Found argument '" + sub + "' which wasn't expected", USAGE);
            }
        } catch (CertException e) {
            throw new CommandFailed(e.getMessage());
        }
    }

    /** The device certificate and key, as configured. */
    private static List<Path> deviceFiles(CommandContext ctx) throws ConfigException {
        var cfg = ctx.coreConfig();
        List<Path> out = new java.util.ArrayList<>();
        for (String k : List.of("device.cert.path", "device.key.path")) cfg.get(k).map(Path::of).ifPresent(out::add);
        return out;
    }

    private static char[] password(CommandContext ctx) throws CommandFailed {
        for (String var : new String[] {"C8YPASS", "C8Y_PASSWORD"}) {
            String p = ctx.env.get(var);
            if (p != null && !p.isEmpty()) return p.toCharArray();
        }
        char[] p = ctx.passwords.read("Enter password: ");
        if (p == null) {
            throw new CommandFailed("No password: set C8YPASS (or C8Y_PASSWORD) in the environment, or run `tedge cert upload` on a terminal to be asked for it.");
        }
        return p;
    }
}
