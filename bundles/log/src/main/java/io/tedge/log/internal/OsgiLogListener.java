package io.tedge.log.internal;

import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.slf4j.event.Level;

/**
 * One log: what the framework and the platform bundles log through the OSGi Log Service (the
 * framework's own messages and its events, SCR's component errors, FileInstall, ConfigAdmin;
 * Apache Felix Log holds the service) goes to the same {@link LogSink} as the SLF4J loggers of
 * the agent's bundles, so tedge.log and the console tell the whole story of a failed plug-in.
 * Those sources log one step quieter than {@code logs.level} (their info level is a line per
 * bundle and service event): warnings and errors at {@code info}.
 */
@Component(immediate = true)
public class OsgiLogListener implements LogListener {

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReader(LogReaderService reader) {
        reader.addLogListener(this);
    }

    void removeReader(LogReaderService reader) {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry e) {
        Level level = level(e.getLogLevel());
        if (!LogSink.enabledForPlatform(level)) return;
        LogSink.write(level, source(e.getBundle()), e.getMessage() == null ? "" : e.getMessage(), e.getException());
    }

    static Level level(org.osgi.service.log.LogLevel l) {
        switch (l) {
            case AUDIT:
            case ERROR:
                return Level.ERROR;
            case WARN:
                return Level.WARN;
            case INFO:
                return Level.INFO;
            case DEBUG:
                return Level.DEBUG;
            default:
                return Level.TRACE;
        }
    }

    /** The logging bundle's short name: scr, fileinstall, configadmin, framework, c8y... */
    static String source(Bundle b) {
        if (b == null || b.getSymbolicName() == null) return "osgi";
        if (b.getBundleId() == 0) return "framework";
        return b.getSymbolicName();
    }
}
