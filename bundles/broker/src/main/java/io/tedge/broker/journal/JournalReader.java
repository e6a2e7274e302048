package io.tedge.broker.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.BusMessage;

/**
 * A sequential reader of the journal's durable records from a position. Not thread safe.
 * Returns messages with their position (the offset after the record). A position in a segment
 * that was deleted meanwhile (journal full) jumps to the oldest record still kept.
 *
 * <p>Reads are positional on the journal's shared channels, with a 64 KiB read-ahead: readers go
 * forward, so one pread serves many small records. {@link #trim()} lets an idle reader give its
 * buffers back (a container has a reader per consumer, most of them idle most of the time).
 *
 * <p>{@link #next(Predicate)} decides from a record's topic alone whether to return it: the
 * records a consumer does not want cost no payload copy and no message object, and a topic equal
 * to the previous record's is not decoded again (a burst on one topic reuses one String).
 */
public final class JournalReader implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(JournalReader.class);
    private static final int HEADER = Journal.HEADER;

    private final Journal journal;
    private long pos;
    private final ByteBuffer head = ByteBuffer.allocate(HEADER);
    private ByteBuffer body = ByteBuffer.allocate(SMALL_BODY);
    private final CRC32C crc = new CRC32C();
    private long skippedCorrupt;
    private static final int READ_AHEAD = 64 * 1024;
    private static final int MIN_AHEAD = 4 * 1024;
    private static final int SMALL_BODY = 1024;
    /** The read-ahead buffer: allocated on the first read, 4 to 64 KiB, given back by {@link #trim()}. */
    private ByteBuffer ahead;
    private Segment aheadSeg;
    private long aheadStart = -1;
    private int aheadLen;
    private byte[] lastTopicBytes = new byte[0];
    private String lastTopic = "";

    JournalReader(Journal journal, long from) {
        this.journal = journal;
        seek(from);
    }

    public void seek(long p) {
        pos = Math.max(p, journal.start());
    }

    public long position() {
        return pos;
    }

    /** Messages lost to a corrupt record (skipped to the next segment). */
    public long skippedCorrupt() {
        return skippedCorrupt;
    }

    /** Fills dst with the bytes at the global position, which lie before segEnd. */
    private void read(Segment seg, ByteBuffer dst, long at, long segEnd) throws IOException {
        int need = dst.remaining();
        if (aheadSeg != seg || at < aheadStart || at + need > aheadStart + aheadLen) {
            if (need > READ_AHEAD) {
                final int dstStart = dst.position();
                seg.io(ch -> {
                    dst.position(dstStart);
                    Journal.readFully(ch, dst, at - seg.base);
                    return null;
                });
                return;
            }
            final int n = (int) Math.max(need, Math.min(READ_AHEAD, segEnd - at));
            aheadSeg = null;
            if (ahead == null || ahead.capacity() < n) {
                // sized to what there is to read (a trickle needs a few KiB), grown up to 64 KiB
                ahead = ByteBuffer.allocate(Math.min(READ_AHEAD, Math.max(MIN_AHEAD, Integer.highestOneBit(n - 1) << 1)));
            }
            final ByteBuffer ahead = this.ahead;
            seg.io(ch -> {
                ahead.clear().limit(n);
                Journal.readFully(ch, ahead, at - seg.base);
                return null;
            });
            aheadSeg = seg;
            aheadStart = at;
            aheadLen = n;
        }
        dst.put(ahead.array(), (int) (at - aheadStart), need);
    }

    /** The next durable record, or null at the end. */
    public BusMessage next() throws IOException {
        return next(null);
    }

    /**
     * The next durable record whose topic {@code wanted} accepts (null: any), or null at the end;
     * the records passed over are checked as {@link #next()} checks them, and {@link #position()}
     * moves past them.
     */
    public BusMessage next(Predicate<String> wanted) throws IOException {
        while (true) {
            long limit = journal.end();
            if (pos >= limit) return null;
            Segment seg = journal.segmentFor(pos);
            if (seg == null) return null;
            if (pos < seg.base) pos = seg.base; // dropped data: jump to the oldest kept
            long segEnd = Math.min(seg.end(), limit);
            if (pos >= segEnd) {
                if (journal.isLast(seg) || segEnd >= limit) return null;
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
            } catch (ClosedChannelException e) {
                if (journal.isClosed()) return null;
                if (seg.deleted) continue; // deleted under us: the next round jumps past it
                throw e;
            }
            head.flip();
            int len = head.getInt();
            int sum = head.getInt();
            if (len < 3 || len > Journal.MAX_RECORD || pos + HEADER + len > segEnd) {
                skipCorrupt(seg, "bad record length " + len);
                continue;
            }
            if (body.capacity() < len) body = ByteBuffer.allocate(Math.max(len, Math.min(body.capacity() * 2, Journal.MAX_RECORD)));
            body.clear().limit(len);
            try {
                read(seg, body, pos + HEADER, segEnd);
            } catch (ClosedChannelException e) {
                if (journal.isClosed()) return null;
                if (seg.deleted) continue;
                throw e;
            }
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
            String topic = topic(body.array(), tl);
            if (wanted != null && !wanted.test(topic)) {
                if (body.capacity() > READ_AHEAD) body = ByteBuffer.allocate(SMALL_BODY);
                pos += HEADER + len;
                continue;
            }
            byte[] payload = new byte[len - 3 - tl];
            System.arraycopy(body.array(), 3 + tl, payload, 0, payload.length);
            if (body.capacity() > READ_AHEAD) body = ByteBuffer.allocate(SMALL_BODY); // do not keep a large record's buffer
            pos += HEADER + len;
            return new BusMessage(topic, payload, flags & 3, (flags & 4) != 0, pos);
        }
    }

    /** The topic at offset 3 of the record body, the previous record's String when the bytes are the same. */
    private String topic(byte[] b, int tl) {
        byte[] last = lastTopicBytes;
        if (last.length == tl && Arrays.equals(b, 3, 3 + tl, last, 0, tl)) return lastTopic;
        String t = new String(b, 3, tl, StandardCharsets.UTF_8);
        if (tl <= 1024) {
            lastTopicBytes = Arrays.copyOfRange(b, 3, 3 + tl);
            lastTopic = t;
        }
        return t;
    }

    /**
     * Gives back the read-ahead buffer and a large record buffer: for a reader that found nothing
     * for a while (the next read allocates them again). Keeps the position.
     */
    public void trim() {
        ahead = null;
        aheadSeg = null;
        aheadStart = -1;
        aheadLen = 0;
        if (body.capacity() > SMALL_BODY) body = ByteBuffer.allocate(SMALL_BODY);
    }

    /** Whether the reader holds its read-ahead buffer (for tests). */
    boolean holdsBuffer() {
        return ahead != null;
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
