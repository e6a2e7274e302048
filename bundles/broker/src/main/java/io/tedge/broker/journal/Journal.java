package io.tedge.broker.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.BusMessage;
import io.tedge.api.Topics;

/**
 * The append-only, checksummed log of QoS 1/2 messages.
 *
 * <p>Layout: a folder of segment files named by the global position of their first record
 * ({@code 00000000000000000000.seg}). A record is {@code [int bodyLength][int crc32c(body)][body]}
 * with body {@code [byte flags][short topicLength][topic utf-8][payload]}; flags hold the QoS
 * (bits 0-1) and retain (bit 2). A position is a global byte offset; a message's position is the
 * offset just after its record, so "commit up to p" is "resume reading at p".
 *
 * <p>Writers {@link #append} into a memory buffer and {@link #flush} hands it to the OS (one
 * write for many records: group commit), optionally with fsync. A record is visible to readers,
 * and may be acknowledged to its publisher, once flushed: from then on it survives a kill -9 of
 * the process. On open, the last segment is scanned and cut at the last valid record, so a torn
 * tail never prevents a start. The total size is bounded: when it is exceeded the oldest segment
 * is deleted, and every cursor that had not read it is told how many of its messages were lost.
 */
public final class Journal implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    static final int HEADER = 8;
    public static final int MAX_RECORD = 64 * 1024 * 1024;
    private static final String SUFFIX = ".seg";

    private final Path dir;
    private final long maxSize;
    private final long segmentSize;
    private final boolean fsync;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock notifyLock = new ReentrantLock();
    private final Condition appended = notifyLock.newCondition();

    /** Segments in order; guarded by {@code this}. */
    private final List<Segment> segments = new ArrayList<>();
    private volatile Segment active;
    private ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    /** Position after the last appended record (buffered or written). Guarded by writeLock. */
    private long appendEnd;
    /** Position up to which records are written to the OS and visible to readers. */
    private volatile long end;
    private final AtomicLong droppedTotal = new AtomicLong();
    private final CursorStore cursorStore;
    private volatile boolean closed;

    /** One segment file. */
    static final class Segment {
        final long base;
        final Path path;
        volatile FileChannel channel;
        volatile boolean deleted;
        volatile long size;

        Segment(long base, Path path, FileChannel channel, long size) {
            this.base = base;
            this.path = path;
            this.channel = channel;
            this.size = size;
        }

        long end() {
            return base + size;
        }

        /**
         * Runs one I/O operation on the segment's channel so that a thread's interrupt cannot
         * break the journal: a FileChannel closes itself when a thread blocked in it is
         * interrupted, so the interrupt flag is cleared for the operation (and restored after),
         * and a channel closed anyway (interrupt during the call) is reopened and the operation,
         * positional and so idempotent, done again.
         */
        <T> T io(IoOp<T> op) throws IOException {
            boolean interrupted = Thread.interrupted();
            try {
                for (int attempt = 0; ; attempt++) {
                    FileChannel ch = channel;
                    try {
                        return op.run(ch);
                    } catch (java.nio.channels.ClosedChannelException e) {
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
                channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
        }
    }

    /** An I/O operation on a channel. */
    interface IoOp<T> {
        T run(FileChannel ch) throws IOException;
    }

    private Journal(Path dir, long maxSize, boolean fsync) throws IOException {
        this.dir = dir;
        this.maxSize = Math.max(maxSize, 1024 * 1024);
        this.segmentSize = Math.max(256 * 1024, Math.min(64L * 1024 * 1024, this.maxSize / 8));
        this.fsync = fsync;
        Files.createDirectories(dir);
        lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("the journal in " + dir + " is in use by another process (another tedge container with the same data.path?)");
        }
        lock = l;
        cursorStore = new CursorStore(dir.resolve("cursors"));
    }

    /**
     * Opens (or creates) the journal in {@code dir}, bounded to about {@code maxSize} bytes.
     * Recovers from a torn tail.
     */
    public static Journal open(Path dir, long maxSize, boolean fsync) throws IOException {
        Journal j = new Journal(dir, maxSize, fsync);
        try {
            j.recover();
        } catch (IOException | RuntimeException e) {
            j.close();
            throw e;
        }
        return j;
    }

    private void recover() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) files.add(p);
        }
        files.sort(null);
        long expected = -1;
        for (int i = 0; i < files.size(); i++) {
            Path p = files.get(i);
            long base;
            try {
                base = Long.parseLong(p.getFileName().toString().replace(SUFFIX, ""));
            } catch (NumberFormatException e) {
                LOG.warn("Ignoring unexpected file in the journal: {}", p);
                continue;
            }
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long size = ch.size();
            boolean last = i == files.size() - 1;
            if (last) {
                long valid = validLength(ch, size);
                if (valid < size) {
                    LOG.warn("Journal segment {} has a torn tail: cut from {} to {} bytes (records after the last valid one were never acknowledged)",
                            p.getFileName(), size, valid);
                    ch.truncate(valid);
                    ch.force(true);
                    size = valid;
                }
            }
            if (expected >= 0 && base != expected) {
                LOG.warn("Journal gap between {} and {}: a segment is missing", expected, base);
            }
            segments.add(new Segment(base, p, ch, size));
            expected = base + size;
        }
        if (segments.isEmpty()) {
            long start = cursorStore.maxPosition();
            newSegment(Math.max(0, start));
        }
        active = segments.get(segments.size() - 1);
        appendEnd = active.end();
        end = appendEnd;
        LOG.info("Journal opened in {}: {} segment(s), positions {}..{}", dir, segments.size(), segments.get(0).base, end);
    }

    /** Length of the valid prefix of a segment: records whose length and checksum are right. */
    private static long validLength(FileChannel ch, long size) throws IOException {
        long pos = 0;
        ByteBuffer head = ByteBuffer.allocate(HEADER);
        ByteBuffer body = ByteBuffer.allocate(64 * 1024);
        CRC32C crc = new CRC32C();
        while (pos + HEADER <= size) {
            head.clear();
            readFully(ch, head, pos);
            head.flip();
            int len = head.getInt();
            int sum = head.getInt();
            if (len < 3 || len > MAX_RECORD || pos + HEADER + len > size) break;
            if (body.capacity() < len) body = ByteBuffer.allocate(len);
            body.clear().limit(len);
            readFully(ch, body, pos + HEADER);
            body.flip();
            crc.reset();
            crc.update(body);
            if ((int) crc.getValue() != sum) break;
            pos += HEADER + len;
        }
        return pos;
    }

    static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) throw new IOException("unexpected end of journal segment");
            pos += n;
        }
    }

    private Segment newSegment(long base) throws IOException {
        Path p = dir.resolve(String.format("%020d%s", base, SUFFIX));
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Segment s = new Segment(base, p, ch, ch.size());
        synchronized (this) {
            segments.add(s);
        }
        return s;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Appends a record to the write buffer and returns its position (the offset just after it).
     * It is durable, and visible to readers, after {@link #flush(long)} with that position.
     */
    public long append(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        int bodyLen = 3 + t.length + payload.length;
        if (bodyLen > MAX_RECORD) throw new IOException("message too large for the journal: " + bodyLen + " bytes");
        writeLock.lock();
        try {
            if (closed) throw new IOException("journal closed");
            int need = HEADER + bodyLen;
            if (buffer.remaining() < need) {
                writeBuffer();
                if (buffer.capacity() < need) buffer = ByteBuffer.allocate(need);
            }
            if (active.size + (appendEnd - active.end()) + need > segmentSize && appendEnd > active.base) {
                writeBuffer();
                rollSegment();
            }
            int start = buffer.position();
            buffer.putInt(bodyLen);
            buffer.putInt(0);
            int bodyStart = buffer.position();
            buffer.put((byte) ((qos & 3) | (retain ? 4 : 0)));
            buffer.putShort((short) t.length);
            buffer.put(t);
            buffer.put(payload);
            CRC32C crc = new CRC32C();
            crc.update(buffer.array(), bodyStart, bodyLen);
            buffer.putInt(start + 4, (int) crc.getValue());
            appendEnd += need;
            return appendEnd;
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes buffered records up to {@code position} to the OS (and fsyncs if configured). */
    public void flush(long position) throws IOException {
        if (end >= position) return;
        writeLock.lock();
        try {
            if (end < position) writeBuffer();
        } finally {
            writeLock.unlock();
        }
    }

    /** Appends and flushes one record. */
    public long write(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        long p = append(topic, payload, qos, retain);
        flush(p);
        return p;
    }

    private void writeBuffer() throws IOException {
        if (buffer.position() == 0) return;
        buffer.flip();
        final Segment seg = active;
        final long start = seg.size;
        final int bufStart = buffer.position();
        long at = seg.io(ch -> {
            buffer.position(bufStart);
            long pos = start;
            while (buffer.hasRemaining()) pos += ch.write(buffer, pos);
            if (fsync) ch.force(false);
            return pos;
        });
        seg.size = at;
        buffer.clear();
        end = active.end();
        notifyLock.lock();
        try {
            appended.signalAll();
        } finally {
            notifyLock.unlock();
        }
    }

    private void rollSegment() throws IOException {
        active.io(ch -> {
            ch.force(false);
            return null;
        });
        active = newSegment(active.end());
        enforceLimit();
    }

    /** Deletes old segments: those every cursor has passed, and the oldest ones past maxSize. */
    private void enforceLimit() {
        while (true) {
            Segment oldest;
            long total;
            synchronized (this) {
                if (segments.size() <= 1) return;
                oldest = segments.get(0);
                total = 0;
                for (Segment s : segments) total += s.size;
            }
            long minCommitted = Long.MAX_VALUE;
            for (Cursor c : cursorStore.all()) minCommitted = Math.min(minCommitted, c.committedPosition());
            boolean consumed = minCommitted >= oldest.end();
            boolean over = total > maxSize;
            if (!consumed && !over) return;
            if (!consumed) {
                countDrops(oldest);
            }
            synchronized (this) {
                segments.remove(0);
            }
            try {
                oldest.deleted = true;
                oldest.channel.close();
                Files.deleteIfExists(oldest.path);
            } catch (IOException e) {
                LOG.warn("Could not delete journal segment {}: {}", oldest.path, e.toString());
            }
        }
    }

    private void countDrops(Segment s) {
        long lost = 0;
        try (Reader r = new Reader(s.base)) {
            for (Cursor c : cursorStore.all()) {
                if (c.committedPosition() >= s.end()) continue;
                long n = 0;
                r.seek(Math.max(s.base, c.committedPosition()));
                BusMessage m;
                while (r.position() < s.end() && (m = r.next()) != null) {
                    if (c.matches(m.topic())) n++;
                }
                if (n > 0) {
                    c.addDropped(n);
                    lost += n;
                    LOG.warn("Journal full (mqtt.journal.max_size = {} bytes): dropped {} message(s) not yet consumed by '{}' ({} dropped for it in all)",
                            maxSize, n, c.name(), c.dropped());
                }
            }
        } catch (IOException e) {
            LOG.warn("Journal full: dropping segment {} (could not count its messages: {})", s.path.getFileName(), e.toString());
        }
        droppedTotal.addAndGet(lost);
    }

    // ------------------------------------------------------------------ reading

    /** Start offset of a message's record, from its position (the offset after it). */
    public static long recordStart(BusMessage m) {
        return m.position() - HEADER - 3 - m.topic().getBytes(StandardCharsets.UTF_8).length - m.payload().length;
    }

    /** Position after the last appended record (buffered or written). */
    public long appendEnd() {
        writeLock.lock();
        try {
            return appendEnd;
        } finally {
            writeLock.unlock();
        }
    }

    /** Position after the last record visible to readers. */
    public long end() {
        return end;
    }

    /** Position of the oldest record still on disk. */
    public synchronized long start() {
        return segments.isEmpty() ? end : segments.get(0).base;
    }

    /** Messages dropped because the journal was full, over all cursors, since it was opened. */
    public long droppedTotal() {
        return droppedTotal.get();
    }

    /** Total bytes on disk in segments. */
    public synchronized long sizeOnDisk() {
        long t = 0;
        for (Segment s : segments) t += s.size;
        return t;
    }

    /** Waits until {@link #end()} exceeds {@code position}, or the timeout. */
    public boolean awaitBeyond(long position, long timeout, TimeUnit unit) throws InterruptedException {
        if (end > position) return true;
        long nanos = unit.toNanos(timeout);
        notifyLock.lock();
        try {
            while (end <= position && !closed) {
                if (nanos <= 0) return false;
                nanos = appended.awaitNanos(nanos);
            }
            return end > position;
        } finally {
            notifyLock.unlock();
        }
    }

    private synchronized Segment segmentFor(long position) {
        for (int i = segments.size() - 1; i >= 0; i--) {
            Segment s = segments.get(i);
            if (position >= s.base) {
                if (position < s.end() || i == segments.size() - 1) return s;
                return i + 1 < segments.size() ? segments.get(i + 1) : s;
            }
        }
        return segments.isEmpty() ? null : segments.get(0);
    }

    /**
     * A sequential reader from a position. Not thread safe. Returns messages with their
     * position (the offset after the record).
     */
    public final class Reader implements Closeable {
        private long pos;
        private final ByteBuffer head = ByteBuffer.allocate(HEADER);
        private ByteBuffer body = ByteBuffer.allocate(4096);
        private final CRC32C crc = new CRC32C();
        private long skippedCorrupt;
        // read-ahead: readers go forward, so one pread serves many small records
        private final ByteBuffer ahead = ByteBuffer.allocate(64 * 1024);
        private Segment aheadSeg;
        private long aheadStart = -1;
        private int aheadLen;

        /** Fills dst with the bytes at the global position, which lie before segEnd. */
        private void read(Segment seg, ByteBuffer dst, long at, long segEnd) throws IOException {
            int need = dst.remaining();
            if (aheadSeg != seg || at < aheadStart || at + need > aheadStart + aheadLen) {
                if (need > ahead.capacity()) {
                    final int dstStart = dst.position();
                    seg.io(ch -> {
                        dst.position(dstStart);
                        readFully(ch, dst, at - seg.base);
                        return null;
                    });
                    return;
                }
                ahead.clear();
                final int n = (int) Math.max(need, Math.min(ahead.capacity(), segEnd - at));
                seg.io(ch -> {
                    ahead.clear().limit(n);
                    readFully(ch, ahead, at - seg.base);
                    return null;
                });
                aheadSeg = seg;
                aheadStart = at;
                aheadLen = n;
            }
            dst.put(ahead.array(), (int) (at - aheadStart), need);
        }

        public Reader(long from) {
            seek(from);
        }

        public void seek(long p) {
            long s = start();
            pos = Math.max(p, s);
        }

        public long position() {
            return pos;
        }

        /** Messages lost to a corrupt record (skipped to the next segment). */
        public long skippedCorrupt() {
            return skippedCorrupt;
        }

        /** The next visible record, or null at the end. */
        public BusMessage next() throws IOException {
            while (true) {
                long limit = end;
                if (pos >= limit) return null;
                Segment seg = segmentFor(pos);
                if (seg == null) return null;
                if (pos < seg.base) pos = seg.base; // dropped data: jump to the oldest kept
                long segEnd = Math.min(seg.end(), limit);
                if (pos >= segEnd) {
                    if (seg == active || segEnd >= limit) return null;
                    pos = seg.end();
                    continue;
                }
                if (pos + HEADER > segEnd) {
                    skipCorrupt(seg, "truncated record header");
                    continue;
                }
                head.clear();
                try {
                    read(seg, head, pos, segEnd);
                } catch (IOException | RuntimeException e) {
                    if (closed) return null;
                    throw e instanceof IOException io ? io : new IOException(e);
                }
                head.flip();
                int len = head.getInt();
                int sum = head.getInt();
                if (len < 3 || len > MAX_RECORD || pos + HEADER + len > segEnd) {
                    skipCorrupt(seg, "bad record length " + len);
                    continue;
                }
                if (body.capacity() < len) body = ByteBuffer.allocate(Math.max(len, body.capacity() * 2));
                body.clear().limit(len);
                read(seg, body, pos + HEADER, segEnd);
                body.flip();
                crc.reset();
                crc.update(body.array(), 0, len);
                if ((int) crc.getValue() != sum) {
                    skipCorrupt(seg, "checksum mismatch");
                    continue;
                }
                byte flags = body.get(0);
                int tl = body.getShort(1) & 0xffff;
                if (3 + tl > len) {
                    skipCorrupt(seg, "bad topic length");
                    continue;
                }
                String topic = new String(body.array(), 3, tl, StandardCharsets.UTF_8);
                byte[] payload = new byte[len - 3 - tl];
                System.arraycopy(body.array(), 3 + tl, payload, 0, payload.length);
                pos += HEADER + len;
                return new BusMessage(topic, payload, flags & 3, (flags & 4) != 0, pos);
            }
        }

        private void skipCorrupt(Segment seg, String why) {
            LOG.error("Corrupt journal record at position {} in {} ({}): skipping the rest of this segment", pos, seg.path.getFileName(), why);
            skippedCorrupt++;
            pos = seg.end();
        }

        @Override
        public void close() {
            // nothing held: reads are positional on shared channels
        }
    }

    // ------------------------------------------------------------------ cursors

    /** The named cursor, created at the current end if it does not exist yet. */
    public Cursor cursor(String name, Collection<String> filters) throws IOException {
        return cursorStore.load(name, filters, end);
    }

    /** All cursors known on disk. */
    public Collection<Cursor> cursors() {
        return cursorStore.all();
    }

    /** Stores dirty cursors now. */
    public void saveCursors() {
        cursorStore.saveAll();
    }

    /** Whether any filter matches. */
    public static boolean matchesAny(Collection<String> filters, String topic) {
        for (String f : filters) {
            if (Topics.matches(f, topic)) return true;
        }
        return false;
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) return;
            try {
                writeBuffer();
                if (active != null) {
                    active.io(ch -> {
                        ch.force(true);
                        return null;
                    });
                }
            } catch (IOException e) {
                LOG.warn("Could not flush the journal on close: {}", e.toString());
            }
            closed = true;
        } finally {
            writeLock.unlock();
        }
        notifyLock.lock();
        try {
            appended.signalAll();
        } finally {
            notifyLock.unlock();
        }
        cursorStore.stop();
        synchronized (this) {
            for (Segment s : segments) {
                try {
                    s.channel.close();
                } catch (IOException e) {
                    // closing
                }
            }
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // closing
        }
    }

    public Path dir() {
        return dir;
    }
}
