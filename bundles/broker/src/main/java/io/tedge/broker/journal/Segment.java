package io.tedge.broker.journal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.EnumSet;
import java.nio.file.StandardOpenOption;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One segment file of the journal: records from global position {@code base} on. */
final class Segment {
    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);

    /** An I/O operation on a channel. */
    interface IoOp<T> {
        T run(FileChannel ch) throws IOException;
    }

    final long base;
    final Path path;
    private final Journal.ChannelOpener opener;
    volatile FileChannel channel;
    volatile boolean deleted;
    /** Bytes of whole records written (the file may hold more after a failed write). */
    volatile long size;

    Segment(long base, Path path, FileChannel channel, long size, Journal.ChannelOpener opener) {
        this.base = base;
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.opener = opener;
    }

    long end() {
        return base + size;
    }

    /**
     * Runs one I/O operation on the segment's channel so that a thread's interrupt cannot break
     * the journal: a FileChannel closes itself when a thread blocked in it is interrupted, so the
     * interrupt flag is cleared for the operation (and restored after), and a channel closed
     * anyway (interrupt during the call) is reopened and the operation, positional and so
     * idempotent, done again.
     */
    <T> T io(IoOp<T> op) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    return op.run(ch);
                } catch (ClosedChannelException e) {
                    if (deleted || attempt >= 100) throw e; // another thread may interrupt us again: retry
                    Thread.interrupted();
                    reopen(ch);
                }
            }
        } finally {
            if (interrupted || Thread.interrupted()) Thread.currentThread().interrupt();
        }
    }

    private synchronized void reopen(FileChannel broken) throws IOException {
        if (channel == broken) {
            LOG.debug("Reopening journal segment {} after an interrupt closed its channel", path.getFileName());
            channel = opener.open(path, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        }
    }

    void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing
        }
    }
}
