package io.tedge.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * One container per data folder: {@code <data.path>/tedged.lock}, locked (an OS file lock, so a
 * {@code kill -9} releases it) for the life of the process and holding the pid and config dir of
 * the holder. Taken before the framework starts, so a second {@code tedged} on the same folder
 * exits at once with one line instead of starting half-way.
 */
final class InstanceLock {
    static final String FILE = "tedged.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private InstanceLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock, or null when another process holds it. */
    static InstanceLock acquire(Path data, Path configDir) throws IOException {
        FileChannel ch = FileChannel.open(data.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held in this JVM already
        }
        if (l == null) {
            ch.close();
            return null;
        }
        byte[] who = ("pid=" + ProcessHandle.current().pid() + "\nconfig_dir=" + configDir + "\n").getBytes(StandardCharsets.UTF_8);
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(who), 0);
        ch.force(false);
        return new InstanceLock(ch, l);
    }

    /** The one line for a second instance: who holds the lock and what to do. */
    static String refusal(Path data, Path configDir) {
        Properties p = new Properties();
        try {
            p.load(Files.newBufferedReader(data.resolve(FILE), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            // named below by its data folder only
        }
        String pid = p.getProperty("pid");
        String dir = p.getProperty("config_dir");
        return "tedged: another tedged" + (pid == null ? "" : " (pid " + pid + ")") + " is already running with the config dir "
                + (dir == null ? configDir + " (data.path " + data + ")" : dir)
                + ": stop it first, or give this one another --config-dir";
    }

    void release() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the process exits next; the OS releases the lock anyway
        }
    }
}
