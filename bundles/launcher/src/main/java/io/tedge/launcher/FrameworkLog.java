package io.tedge.launcher;

import java.lang.reflect.Method;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;

/**
 * The framework's own log ({@code felix.log.logger}): Felix's messages (resolution failures, bundle start errors). They go to the OSGi
 * Log Service once one is registered, and from there with every other source into tedge.log
 * (bundle {@code io.tedge.log}); until then, to standard error. The service is tracked with a
 * service listener and called reflectively: the launcher sits outside the framework and shares
 * no class of the log API with it.
 */
public final class FrameworkLog extends org.apache.felix.framework.Logger {
    private static final String LOG_SERVICE = "org.osgi.service.log.LogService";
    private static final String[] LEVELS = {"", "ERROR", "WARN", "INFO", "DEBUG"};

    private volatile Object service;
    private volatile Method log;
    private BundleContext ctx;
    private ServiceReference<?> ref;

    /** Follows the Log Service from the system bundle's context (after the framework's init). */
    void track(BundleContext context) throws InvalidSyntaxException {
        this.ctx = context;
        context.addServiceListener(e -> {
            synchronized (this) {
                if (e.getType() == ServiceEvent.REGISTERED && service == null) use(e.getServiceReference());
                else if (e.getType() == ServiceEvent.UNREGISTERING && e.getServiceReference().equals(ref)) drop();
            }
        }, "(objectClass=" + LOG_SERVICE + ")");
    }

    private void use(ServiceReference<?> r) {
        Object s = ctx.getService(r);
        if (s == null) return;
        try {
            Class<?> api = s.getClass().getClassLoader().loadClass(LOG_SERVICE);
            log = api.getMethod("log", int.class, String.class, Throwable.class);
            ref = r;
            service = s;
        } catch (ReflectiveOperationException | RuntimeException e) {
            ctx.ungetService(r);
        }
    }

    private void drop() {
        service = null;
        log = null;
        ctx.ungetService(ref);
        ref = null;
    }

    /** A warning of the launcher itself, in tedge.log with the framework's messages. */
    void warn(String message) {
        doLog(2, message, null);
    }

    /** Felix's messages, once filtered by felix.log.level; level 1 error, 2 warning, 3 info, 4 debug. */
    @Override
    protected void doLog(int level, String message, Throwable t) {
        Object s = service;
        Method m = log;
        if (s != null && m != null) {
            try {
                m.invoke(s, level, message, t);
                return;
            } catch (ReflectiveOperationException | RuntimeException e) {
                // the service went away meanwhile: to standard error
            }
        }
        System.err.println("tedged: " + (level >= 1 && level <= 4 ? LEVELS[level] : "LOG") + " framework: " + message);
        if (t != null) t.printStackTrace();
    }
}
