package io.tedge.log.internal;

import java.nio.file.Path;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;

/**
 * Applies {@code logs.path} and {@code logs.level} (PID {@code tedge.logs}). Until the config
 * bundle has pushed them, the launcher's framework properties {@code tedge.logs.path} and
 * {@code tedge.logs.level} are used, so the first lines of a start are in the file too.
 */
@Component(configurationPid = "tedge.logs", immediate = true)
public class LogConfigurator {
    private final boolean interactive;
    private final BundleContext ctx;

    @Activate
    public LogConfigurator(BundleContext ctx, Map<String, Object> props) {
        this.ctx = ctx;
        // the shell owns the terminal, or the container is a background job of one: warnings and errors only there
        this.interactive = Boolean.parseBoolean(ctx.getProperty("tedge.interactive")) || Boolean.parseBoolean(ctx.getProperty("tedge.console.quiet"));
        apply(props);
    }

    @Modified
    void apply(Map<String, Object> props) {
        Object path = props.getOrDefault("logs.path", ctx.getProperty("tedge.logs.path"));
        Object level = props.getOrDefault("logs.level", ctx.getProperty("tedge.logs.level"));
        LogSink.configure(path == null ? null : Path.of(path.toString(), "tedge.log"), LogSink.parse(level == null ? null : level.toString()),
                interactive);
    }

    @Deactivate
    void deactivate() {
        LogSink.closeFile();
    }
}
