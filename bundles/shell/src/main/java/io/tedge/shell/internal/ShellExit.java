package io.tedge.shell.internal;

import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.CommandSessionListener;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code exit [code]} in the Gogo shell. Gogo's own {@code exit} is {@code System.exit} run as a
 * shell job: the JVM's shutdown stops the framework, whose shell bundle interrupts the shell
 * thread still waiting for that job, and the shell prints {@code java.lang.InterruptedException}.
 * This {@code exit}, an alias each session gets (a session variable holding a function is found
 * before a command of the same name), ends the shell the way Ctrl-D does: the shell's loop stops
 * after this command, and the shell then stops the framework itself. The launcher exits with the
 * code, read from the system property {@value #EXIT_CODE}.
 */
@Component(immediate = true)
public class ShellExit implements CommandSessionListener, Function {
    /** The exit code the launcher ends the process with once the framework stopped. */
    public static final String EXIT_CODE = "tedged.exit.code";
    static final String USAGE = "Usage: exit [code]   (stops the agent; code: 0-255, default 0)";

    private final BundleContext ctx;

    @Activate
    public ShellExit(BundleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void beforeExecute(CommandSession session, CharSequence commandline) {
        if (session.get("exit") == null) session.put("exit", this);
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence commandline, Exception exception) {
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence commandline, Object result) {
    }

    @Override
    public Object execute(CommandSession session, List<Object> arguments) throws Exception {
        int code;
        try {
            code = code(arguments);
        } catch (IllegalArgumentException e) {
            // the message alone: Gogo would print the exception's class name in front of it
            session.getConsole().println(e.getMessage());
            return null;
        }
        System.setProperty(EXIT_CODE, Integer.toString(code));
        Object shell = shell();
        if (shell != null) {
            // the shell ends its loop after this command, then stops the framework (as on Ctrl-D)
            shell.getClass().getMethod("stop").invoke(shell);
        } else {
            // no interactive shell to end (another kind of session): stop the framework from a
            // thread of its own, so that no command thread is interrupted mid-command
            Thread t = new Thread(() -> {
                try {
                    ctx.getBundle(0).stop();
                } catch (BundleException | IllegalStateException e) {
                    session.getConsole().println("exit: cannot stop the framework: " + e);
                }
            }, "tedge-exit");
            t.setDaemon(true);
            t.start();
        }
        return null;
    }

    /** The exit code of {@code exit [code]}; a clear error for anything else. */
    static int code(List<Object> arguments) {
        if (arguments == null || arguments.isEmpty()) return 0;
        if (arguments.size() > 1) throw new IllegalArgumentException("exit: too many arguments. " + USAGE);
        String s = String.valueOf(arguments.get(0)).trim();
        try {
            int code = Integer.parseInt(s);
            if (code < 0 || code > 255) throw new NumberFormatException();
            return code;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("exit: '" + s + "' is not an exit code. " + USAGE);
        }
    }

    /** The interactive Gogo shell (gogo.jline registers it for its gogo:gosh command), or null. */
    private Object shell() {
        try {
            ServiceReference<?>[] refs = ctx.getServiceReferences((String) null, "(&(osgi.command.scope=gogo)(osgi.command.function=gosh))");
            if (refs == null) return null;
            for (ServiceReference<?> r : refs) {
                Object o = ctx.getService(r);
                if (o != null && o.getClass().getName().equals("org.apache.felix.gogo.jline.Shell")) {
                    ctx.ungetService(r); // the shell bundle holds it anyway; only its stop() is called
                    return o;
                }
                if (o != null) ctx.ungetService(r);
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return null;
    }
}
