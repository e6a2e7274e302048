package io.tedge.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses one command's arguments: options (with or without a value, long or short, before or
 * after the positionals, {@code --opt=value} too), {@code --} ends the options, {@code -h} and
 * {@code --help} ask for help, anything else that starts with '-' is refused with the usage.
 */
final class Args {
    final List<String> positionals = new ArrayList<>();
    private final Map<String, String> values = new HashMap<>();
    final boolean help;

    /**
     * @param withValue option names (all spellings, e.g. "-q", "--qos") that take a value
     * @param flags     option names without a value
     * @param canonical maps each spelling to its canonical name
     */
    Args(List<String> args, Set<String> withValue, Set<String> flags, Map<String, String> canonical, String usage)
            throws UsageException {
        boolean h = false;
        boolean rest = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (rest || !a.startsWith("-") || a.equals("-")) {
                positionals.add(a);
                continue;
            }
            if (a.equals("--")) {
                rest = true;
                continue;
            }
            if (a.equals("-h") || a.equals("--help")) {
                h = true;
                continue;
            }
            String name = a;
            String inline = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                inline = a.substring(eq + 1);
            }
            String canon = canonical.getOrDefault(name, name);
            if (withValue.contains(name)) {
                if (inline == null) {
                    if (i + 1 >= args.size()) throw new UsageException("The option '" + name + "' needs a value", usage);
                    inline = args.get(++i);
                }
                values.put(canon, inline);
            } else if (flags.contains(name) && inline == null) {
                values.put(canon, "true");
            } else if (looksNumeric(a)) {
                positionals.add(a); // a negative number is a value, not an option
            } else {
                throw new UsageException("Found argument '" + a + "' which wasn't expected", usage);
            }
        }
        this.help = h;
    }

    private static boolean looksNumeric(String a) {
        return a.length() > 1 && (Character.isDigit(a.charAt(1)) || a.charAt(1) == '.');
    }

    String value(String canon) {
        return values.get(canon);
    }

    boolean flag(String canon) {
        return values.containsKey(canon);
    }
}
