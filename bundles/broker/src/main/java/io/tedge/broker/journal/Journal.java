package io.tedge.broker.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.BusMessage;
import io.tedge.api.Topics;

/**
 * The append-only, checksummed log of QoS 1/2 messages.
 *
 * <p>Layout: a folder (0700) of segment files (0600) named by the global position of their first
 * record ({@code 00000000000000000000.seg}). A record is {@code [int bodyLength][int
 * crc32c(body)][body]} with body {@code [byte flags][short topicLength][topic utf-8][payload]};
 * flags hold the QoS (bits 0-1) and retain (bit 2). A position is a global byte offset; a
 * message's position is the offset just after its record, so "commit up to p" is "resume reading
 * at p". A record never straddles two segments.
 *
 * <p>Durability: {@link #append} only copies the record into memory (it never does I/O, so it
 * may be called under the broker's routing lock); the journal's own writer thread writes what was
 * appended in one write per batch (group commit), optionally with fsync, and then moves
 * {@link #end()}. A record is visible to readers, and may be acknowledged to its publisher, once
 * {@code end()} is past it: from then on it survives a kill -9 of the process. When a write fails
 * (disk full, read-only file system) the journal refuses new appends and retries every second;
 * nothing past {@code end()} is ever reported durable. On open, the last segment is cut at the
 * last valid record, so a torn tail never prevents a start. The total size is bounded: segments
 * every cursor has passed are deleted, and when the size is exceeded the oldest segment goes
 * anyway and every cursor that had not read it is told (on a background thread) how many of its
 * messages were lost.
 */
public final class Journal implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    static final int HEADER = 8;
    public static final int MAX_RECORD = 64 * 1024 * 1024;
    private static final String SUFFIX = ".seg";
    private static final int BUFFER = 64 * 1024;
    static final long RETRY_MS = 1000;

    /** Opens segment files: the seam where tests inject a full or read-only disk. */
    public interface ChannelOpener {
        FileChannel open(Path path, Set<StandardOpenOption> options) throws IOException;
    }

    /** Called on the writer thread before segments are deleted: positions below this go. */
    public interface Truncation extends LongConsumer {
    }

    private final Path dir;
    private final long maxSize;
    private final long segmentSize;
    private final boolean fsync;
    private final ChannelOpener opener;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final CursorStore cursorStore;

    /** Segments in order; guarded by {@code this}. */
    private final List<Segment> segments = new ArrayList<>();
    private Segment active; // the writer's

    // ---- the append side, guarded by appendLock (memory only)
    private final ReentrantLock appendLock = new ReentrantLock();
    private final Condition work = appendLock.newCondition();
    private ByteBuffer filling = ByteBuffer.allocate(BUFFER);
    private long fillingStart;
    private final ArrayDeque<Long> rolls = new ArrayDeque<>();
    private long appendSegBase;
    private volatile long appendEnd;
    private boolean writerBusy;
    /** The distinct topics of the records in {@code filling}, in order; null when more than {@link #BATCH_TOPICS}. */
    private ArrayList<String> fillingTopics = new ArrayList<>();
    private static final int BATCH_TOPICS = 16;

    /** A consumer's thread waiting for a record it wants ({@link #awaitWanted}). */
    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        final Predicate<String> wants;
        volatile boolean woken;

        Waiter(Predicate<String> wants) {
            this.wants = wants;
        }
    }

    private final java.util.Set<Waiter> waiters = ConcurrentHashMap.newKeySet();

    // ---- the durable side
    private final ReentrantLock notifyLock = new ReentrantLock();
    private final Condition advanced = notifyLock.newCondition();
    private volatile long end;
    private volatile IOException failure;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Truncation> truncations = new CopyOnWriteArrayList<>();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final Thread writer;
    private volatile Thread dropCounter;
    /** A deleted segment to count drops in, with the cursors that had not read all of it when it went, and where they were. */
    private record Dropped(Segment segment, List<Cursor> behind, long[] committed) {
    }

    private final ArrayDeque<Dropped> toCount = new ArrayDeque<>();
    private volatile boolean closed;

    private Journal(Path dir, long maxSize, boolean fsync, ChannelOpener opener) throws IOException {
        this.dir = dir;
        this.maxSize = Math.max(maxSize, 1024 * 1024);
        this.segmentSize = Math.max(256 * 1024, Math.min(64L * 1024 * 1024, this.maxSize / 8));
        this.fsync = fsync;
        this.opener = opener;
        PrivateFiles.createDirectories(dir);
        lockChannel = PrivateFiles.open(dir.resolve("lock"), EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE));
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("the journal in " + dir + " is in use by another process (another tedge container with the same data.path?)");
        }
        lock = l;
        cursorStore = new CursorStore(dir.resolve("cursors"));
        writer = new Thread(this::writeLoop, "tedge-journal-writer");
        writer.setDaemon(true);
    }

    /**
     * Opens (or creates) the journal in {@code dir}, bounded to about {@code maxSize} bytes.
     * Recovers from a torn tail.
     */
    public static Journal open(Path dir, long maxSize, boolean fsync) throws IOException {
        return open(dir, maxSize, fsync, (p, o) -> PrivateFiles.open(p, o));
    }

    /** As {@link #open(Path, long, boolean)}, with segment files opened through {@code opener}. */
    public static Journal open(Path dir, long maxSize, boolean fsync, ChannelOpener opener) throws IOException {
        Journal j = new Journal(dir, maxSize, fsync, opener);
        try {
            j.recover();
        } catch (IOException | RuntimeException e) {
            j.cursorStore.stop();
            j.releaseLock();
            throw e;
        }
        j.writer.start();
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
            FileChannel ch = opener.open(p, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
            long size = ch.size();
            if (i == files.size() - 1) {
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
            segments.add(new Segment(base, p, ch, size, opener));
            expected = base + size;
        }
        if (segments.isEmpty()) {
            long start = cursorStore.maxPosition();
            segments.add(createSegment(Math.max(0, start)));
        }
        active = segments.get(segments.size() - 1);
        appendEnd = active.end();
        end = appendEnd;
        fillingStart = appendEnd;
        appendSegBase = active.base;
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

    private Segment createSegment(long base) throws IOException {
        Path p = dir.resolve(String.format(java.util.Locale.ROOT, "%020d%s", base, SUFFIX));
        FileChannel ch = opener.open(p, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
        return new Segment(base, p, ch, ch.size(), opener);
    }

    // ------------------------------------------------------------------ appending (memory only)

    /**
     * Copies a record into the journal's buffer and returns its position (the offset just after
     * it). Never does I/O. The record is durable, and visible to readers, once {@link #end()}
     * is at or past that position ({@link #flush(long)} waits for it).
     *
     * @throws IOException when the journal is closed, cannot write (disk full...), or the
     *                     record is too large
     */
    public long append(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        int bodyLen = 3 + t.length + payload.length;
        if (bodyLen > MAX_RECORD) throw new IOException("message too large for the journal: " + bodyLen + " bytes");
        int need = HEADER + bodyLen;
        appendLock.lock();
        try {
            if (closed) throw new IOException("the journal is closed");
            IOException f = failure;
            if (f != null) throw new IOException("the journal cannot write (" + f.getMessage() + ")", f);
            if (filling.remaining() < need) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(filling.capacity() * 2, filling.position() + need));
                filling.flip();
                bigger.put(filling);
                filling = bigger;
            }
            long start = appendEnd;
            if (start - appendSegBase + need > segmentSize && start > appendSegBase) {
                rolls.add(start);
                appendSegBase = start;
            }
            int at = filling.position();
            filling.putInt(bodyLen);
            filling.putInt(0);
            filling.put((byte) ((qos & 3) | (retain ? 4 : 0)));
            filling.putShort((short) t.length);
            filling.put(t);
            filling.put(payload);
            CRC32C crc = new CRC32C();
            crc.update(filling.array(), at + HEADER, bodyLen);
            filling.putInt(at + 4, (int) crc.getValue());
            appendEnd = start + need;
            ArrayList<String> ts = fillingTopics;
            if (ts != null) {
                int k = ts.size();
                if (k == 0 || !ts.get(k - 1).equals(topic)) {
                    if (!ts.contains(topic)) {
                        if (k >= BATCH_TOPICS) fillingTopics = null;
                        else ts.add(topic);
                    }
                }
            }
            if (!writerBusy) work.signal();
            return appendEnd;
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Waits until the record at {@code position} is durable; throws when it cannot become so. An
     * interrupt does not stop the wait (the write is a few milliseconds away); the caller's
     * interrupt flag is kept.
     */
    public void flush(long position) throws IOException {
        if (end >= position) return;
        boolean interrupted = false;
        notifyLock.lock();
        try {
            while (end < position) {
                if (failure != null) throw new IOException("the journal cannot write (" + failure.getMessage() + ")", failure);
                if (closed && !writer.isAlive()) throw new IOException("the journal is closed");
                try {
                    advanced.await(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            notifyLock.unlock();
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Appends one record and waits until it is durable. */
    public long write(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        long p = append(topic, payload, qos, retain);
        flush(p);
        return p;
    }

    /** Bytes appended but not yet written: callers apply back-pressure above a few MiB. */
    public long pendingBytes() {
        return appendEnd - end;
    }

    /** The write error the journal is retrying, or null when it writes normally. */
    public IOException failure() {
        return failure;
    }

    /** Runs on the writer thread whenever {@link #end()} moves or {@link #failure()} changes. Must be quick. */
    public void addListener(Runnable r) {
        listeners.add(r);
    }

    public void removeListener(Runnable r) {
        listeners.remove(r);
    }

    /** Runs on the writer thread before segments are deleted, with the new start position. */
    public void addTruncation(Truncation t) {
        truncations.add(t);
    }

    // ------------------------------------------------------------------ the writer thread

    private void writeLoop() {
        ByteBuffer spare = ByteBuffer.allocate(BUFFER);
        while (true) {
            ByteBuffer batch;
            long batchStart;
            List<Long> batchRolls;
            List<String> batchTopics;
            appendLock.lock();
            try {
                writerBusy = false;
                while (filling.position() == 0 && !closed) {
                    work.awaitUninterruptibly();
                }
                if (filling.position() == 0) return; // closed and everything written
                writerBusy = true;
                batch = filling;
                batchStart = fillingStart;
                batchRolls = new ArrayList<>(rolls);
                rolls.clear();
                batchTopics = fillingTopics;
                fillingTopics = new ArrayList<>();
                spare.clear();
                filling = spare;
                fillingStart = appendEnd;
            } finally {
                appendLock.unlock();
            }
            batch.flip();
            if (!writeBatch(batch, batchStart, batchRolls, batchTopics)) return;
            spare = batch.capacity() > 4 * BUFFER ? ByteBuffer.allocate(BUFFER) : batch;
        }
    }

    /** Writes one batch, retrying while the disk refuses; false when closed before it could. */
    private boolean writeBatch(ByteBuffer batch, long batchStart, List<Long> batchRolls, List<String> topics) {
        long batchEnd = batchStart + batch.remaining();
        long pos = batchStart;
        int rollIndex = 0;
        boolean rolled = false;
        while (true) {
            try {
                while (pos < batchEnd || rollIndex < batchRolls.size()) {
                    if (rollIndex < batchRolls.size() && batchRolls.get(rollIndex) == pos) {
                        roll(pos);
                        rolled = true;
                        rollIndex++;
                        continue;
                    }
                    long to = rollIndex < batchRolls.size() ? batchRolls.get(rollIndex) : batchEnd;
                    final Segment seg = active;
                    final long segPos = pos - seg.base;
                    final int from = (int) (pos - batchStart);
                    final int len = (int) (to - pos);
                    seg.io(ch -> {
                        ByteBuffer b = batch.duplicate();
                        b.position(from).limit(from + len);
                        long p = segPos;
                        while (b.hasRemaining()) p += ch.write(b, p);
                        return null;
                    });
                    seg.size = to - seg.base;
                    pos = to;
                }
                if (fsync) {
                    active.io(ch -> {
                        ch.force(false);
                        return null;
                    });
                }
                break;
            } catch (IOException | RuntimeException e) {
                IOException io = e instanceof IOException x ? x : new IOException(e.toString(), e);
                if (failure == null) {
                    LOG.error("The journal in {} cannot write: {}. QoS 1/2 publishes are refused (not acknowledged) until it can; retrying every {} ms",
                            dir, describe(io), RETRY_MS);
                }
                failure = io;
                notifyAdvance(null);
                if (!sleepUnlessClosed(RETRY_MS)) {
                    LOG.error("The journal was closed before {} byte(s) of unacknowledged messages could be written", batchEnd - pos);
                    return false;
                }
            }
        }
        if (failure != null) {
            LOG.info("The journal in {} can write again: QoS 1/2 publishes are accepted again", dir);
            failure = null;
        }
        end = batchEnd;
        notifyAdvance(topics);
        if (rolled) enforceLimit();
        return true;
    }

    static String describe(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private boolean sleepUnlessClosed(long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        appendLock.lock();
        try {
            long left;
            while (!closed && (left = deadline - System.nanoTime()) > 0) {
                try {
                    work.awaitNanos(left);
                } catch (InterruptedException e) {
                    return false;
                }
            }
            return !closed;
        } finally {
            appendLock.unlock();
        }
    }

    /** Wakes the threads waiting for the end to move, and those of {@link #awaitWanted} that want one of the topics (null: all). */
    private void notifyAdvance(List<String> topics) {
        for (Waiter w : waiters) {
            if (w.woken || topics != null && !wantsAny(w, topics)) continue;
            w.woken = true;
            LockSupport.unpark(w.thread);
        }
        notifyLock.lock();
        try {
            advanced.signalAll();
        } finally {
            notifyLock.unlock();
        }
        for (Runnable r : listeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("Journal listener failed: {}", e.toString(), e);
            }
        }
    }

    private static boolean wantsAny(Waiter w, List<String> topics) {
        try {
            for (int i = 0; i < topics.size(); i++) {
                if (w.wants.test(topics.get(i))) return true;
            }
            return false;
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Starts a new segment at {@code base} (the old one is forced first). */
    private void roll(long base) throws IOException {
        Segment old = active;
        old.io(ch -> {
            ch.force(false);
            return null;
        });
        Segment s = createSegment(base);
        synchronized (this) {
            segments.add(s);
        }
        active = s;
    }

    /** Deletes old segments: those every cursor has passed, and the oldest ones past maxSize. */
    private void enforceLimit() {
        while (true) {
            Segment oldest;
            long total;
            Segment next;
            synchronized (this) {
                if (segments.size() <= 1) return;
                oldest = segments.get(0);
                next = segments.get(1);
                total = 0;
                for (Segment s : segments) total += s.size;
            }
            long minCommitted = Long.MAX_VALUE;
            for (Cursor c : cursorStore.all()) minCommitted = Math.min(minCommitted, c.committedPosition());
            boolean consumed = minCommitted >= oldest.end();
            if (!consumed && total <= maxSize) return;
            for (Truncation t : truncations) {
                try {
                    t.accept(next.base);
                } catch (RuntimeException e) {
                    LOG.warn("Journal truncation listener failed: {}", e.toString(), e);
                }
            }
            synchronized (this) {
                segments.remove(0);
            }
            oldest.deleted = true;
            try {
                Files.deleteIfExists(oldest.path); // its open channel still reads, for the drop count
            } catch (IOException e) {
                LOG.warn("Could not delete journal segment {}: {}", oldest.path, e.toString());
            }
            if (consumed) oldest.closeQuietly();
            else countDropsLater(oldest);
        }
    }

    private void countDropsLater(Segment s) {
        // the positions as they are now: a consumer that jumps past the deleted segment and commits
        // before the counting thread runs must still be counted
        List<Cursor> behind = new ArrayList<>();
        List<Long> at = new ArrayList<>();
        for (Cursor c : cursorStore.all()) {
            long p = c.committedPosition();
            if (p < s.end()) {
                behind.add(c);
                at.add(p);
            }
        }
        long[] committed = new long[at.size()];
        for (int i = 0; i < committed.length; i++) committed[i] = at.get(i);
        synchronized (toCount) {
            toCount.add(new Dropped(s, behind, committed));
            if (dropCounter == null) {
                Thread t = new Thread(this::countLoop, "tedge-journal-drops");
                t.setDaemon(true);
                dropCounter = t;
                t.start();
            }
        }
    }

    /** Counts, per cursor, the messages of deleted segments it had not read; exits when done. */
    private void countLoop() {
        while (true) {
            Dropped d;
            synchronized (toCount) {
                d = toCount.poll();
                if (d == null) {
                    dropCounter = null;
                    return;
                }
            }
            try {
                countDrops(d);
            } finally {
                d.segment().closeQuietly();
            }
        }
    }

    private void countDrops(Dropped d) {
        Segment s = d.segment();
        List<Cursor> behind = d.behind();
        long[] n = new long[behind.size()];
        try {
            ByteBuffer head = ByteBuffer.allocate(HEADER);
            ByteBuffer body = ByteBuffer.allocate(4096);
            long pos = 0;
            FileChannel ch = s.channel;
            while (pos + HEADER <= s.size) {
                head.clear();
                readFully(ch, head, pos);
                head.flip();
                int len = head.getInt();
                if (len < 3 || pos + HEADER + len > s.size) break;
                int tl = Math.min(len - 3, 65535);
                if (body.capacity() < 3 + tl) body = ByteBuffer.allocate(3 + tl);
                body.clear().limit(3 + tl);
                readFully(ch, body, pos + HEADER);
                int topicLen = body.getShort(1) & 0xffff;
                String topic = new String(body.array(), 3, Math.min(topicLen, tl), StandardCharsets.UTF_8);
                long recordStart = s.base + pos;
                for (int i = 0; i < n.length; i++) {
                    Cursor c = behind.get(i);
                    if (recordStart >= d.committed()[i] && c.matches(topic)) n[i]++;
                }
                pos += HEADER + len;
            }
        } catch (IOException e) {
            LOG.warn("Journal full: dropped segment {} (could not count its messages: {})", s.path.getFileName(), e.toString());
        }
        long lost = 0;
        for (int i = 0; i < n.length; i++) {
            if (n[i] == 0) continue;
            Cursor c = behind.get(i);
            c.addDropped(n[i]);
            lost += n[i];
            LOG.warn("Journal full (mqtt.journal.max_size = {} bytes): dropped {} message(s) not yet consumed by '{}' ({} dropped for it in all)",
                    maxSize, n[i], c.name(), c.dropped());
        }
        droppedTotal.addAndGet(lost);
    }

    // ------------------------------------------------------------------ reading

    /** Start offset of a message's record, from its position (the offset after it). */
    public static long recordStart(BusMessage m) {
        return m.position() - HEADER - 3 - m.topic().getBytes(StandardCharsets.UTF_8).length - m.payload().length;
    }

    /** Position after the last appended record (durable or not). */
    public long appendEnd() {
        return appendEnd;
    }

    /** Position after the last durable record, visible to readers. */
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
                nanos = advanced.awaitNanos(nanos);
            }
            return end > position;
        } finally {
            notifyLock.unlock();
        }
    }

    /**
     * Waits until a record that {@code wants} accepts (by its topic) becomes durable past
     * {@code position}, the timeout, or the journal closes or fails: as {@link #awaitBeyond}, but
     * batches of records the caller does not want do not wake it (a consumer's thread sleeps
     * through other traffic; it reads past those records when it next wakes). Returns whether it
     * was woken before the timeout. {@code wants} runs on the journal's writer thread: it must be
     * thread safe and quick.
     */
    public boolean awaitWanted(long position, long timeout, TimeUnit unit, Predicate<String> wants) throws InterruptedException {
        if (end > position) return true;
        Waiter w = new Waiter(wants);
        waiters.add(w);
        try {
            if (end > position) return true; // written before we were listed: look
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (!w.woken && !closed) {
                if (Thread.interrupted()) throw new InterruptedException();
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                LockSupport.parkNanos(this, left);
            }
            return true;
        } finally {
            waiters.remove(w);
        }
    }

    synchronized Segment segmentFor(long position) {
        for (int i = segments.size() - 1; i >= 0; i--) {
            Segment s = segments.get(i);
            if (position >= s.base) {
                if (position < s.end() || i == segments.size() - 1) return s;
                return i + 1 < segments.size() ? segments.get(i + 1) : s;
            }
        }
        return segments.isEmpty() ? null : segments.get(0);
    }

    synchronized boolean isLast(Segment s) {
        return !segments.isEmpty() && segments.get(segments.size() - 1) == s;
    }

    boolean isClosed() {
        return closed;
    }

    /** A sequential reader of the durable records from a position. */
    public JournalReader reader(long from) {
        return new JournalReader(this, from);
    }

    // ------------------------------------------------------------------ cursors

    /** The named cursor, created at the current end if it does not exist yet (stored at once). */
    public Cursor cursor(String name, Collection<String> filters) throws IOException {
        return cursorStore.load(name, filters, end, true);
    }

    /** The named cursor, created at {@code startIfNew}; a new one is stored by the background saver. */
    public Cursor cursorLazily(String name, Collection<String> filters, long startIfNew) {
        return cursorStore.load(name, filters, startIfNew, false);
    }

    /** The cursor if it exists. */
    public Cursor existingCursor(String name) {
        return cursorStore.get(name);
    }

    /** Forgets a cursor and deletes its file. */
    public void removeCursor(String name) {
        cursorStore.remove(name);
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
        if (filters instanceof List<String> l && filters instanceof java.util.RandomAccess) {
            for (int i = 0, n = l.size(); i < n; i++) {
                if (Topics.matches(l.get(i), topic)) return true;
            }
            return false;
        }
        for (String f : filters) {
            if (Topics.matches(f, topic)) return true;
        }
        return false;
    }

    @Override
    public void close() {
        appendLock.lock();
        try {
            if (closed) return;
            closed = true;
            work.signalAll();
        } finally {
            appendLock.unlock();
        }
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        notifyLock.lock();
        try {
            advanced.signalAll();
        } finally {
            notifyLock.unlock();
        }
        for (Waiter w : waiters) {
            w.woken = true;
            LockSupport.unpark(w.thread);
        }
        try {
            if (active != null && failure == null) {
                active.io(ch -> {
                    ch.force(true);
                    return null;
                });
            }
        } catch (IOException e) {
            LOG.warn("Could not force the journal on close: {}", e.toString());
        }
        cursorStore.stop();
        synchronized (this) {
            for (Segment s : segments) s.closeQuietly();
        }
        releaseLock();
    }

    private void releaseLock() {
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
