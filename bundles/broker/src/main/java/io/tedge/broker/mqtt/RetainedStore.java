package io.tedge.broker.mqtt;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.BusMessage;
import io.tedge.broker.journal.PrivateFiles;

/**
 * The retained messages: in memory, bounded in topics and bytes (a new topic past the bound is
 * not retained, the message itself is still delivered, and the publisher's log line says so),
 * and on disk as a snapshot ({@code retained}, 0600) of the journal position it covers. A QoS 1/2
 * retained message is in the journal anyway, so the snapshot is rewritten only when a QoS 0 one
 * changed (after a few seconds, batched), before the journal drops the segments after the
 * snapshot, at most every ten minutes otherwise, and on close: an idle broker writes nothing.
 * Writes happen under the route lock; reads from any thread.
 */
final class RetainedStore {
    private static final Logger LOG = LoggerFactory.getLogger(RetainedStore.class);
    private static final int MAGIC = 0x74524554;
    static final long QOS0_DELAY_MS = 5_000;
    static final long PERIOD_MS = 600_000;

    private final Path file;
    private final int maxTopics;
    private final long maxBytes;
    private final Map<String, BusMessage> messages = new ConcurrentHashMap<>();
    private long bytes;
    private boolean warned;
    /** Journal position the snapshot on disk covers. */
    volatile long coveredTo;
    /** Changed since the last snapshot (any QoS), and when a QoS 0 change first happened (0: none). */
    volatile boolean dirty;
    volatile long qos0DirtySince;
    volatile long savedAt = System.currentTimeMillis();

    RetainedStore(Path file, int maxTopics, long maxBytes) {
        this.file = file;
        this.maxTopics = maxTopics;
        this.maxBytes = maxBytes;
    }

    private static long size(String topic, byte[] payload) {
        return topic.length() + payload.length + 64L;
    }

    /** Sets or (empty payload) clears a topic's retained message; false when over the bound. Under the route lock. */
    boolean put(BusMessage m) {
        BusMessage old = m.payload().length == 0 ? messages.remove(m.topic()) : messages.get(m.topic());
        long oldSize = old == null ? 0 : size(old.topic(), old.payload());
        boolean changed;
        if (m.payload().length == 0) {
            bytes -= oldSize;
            changed = old != null;
        } else {
            long n = size(m.topic(), m.payload());
            if ((old == null && messages.size() >= maxTopics) || bytes - oldSize + n > maxBytes) {
                if (!warned) {
                    warned = true;
                    LOG.warn("Retained messages are at their bound ({} topics, {} bytes): the message on {} is delivered but not retained",
                            maxTopics, maxBytes, m.topic());
                }
                return false;
            }
            messages.put(m.topic(), new BusMessage(m.topic(), m.payload(), m.qos(), true, m.position()));
            bytes += n - oldSize;
            changed = true;
        }
        if (changed) {
            dirty = true;
            if (m.qos() == 0 && qos0DirtySince == 0) qos0DirtySince = System.currentTimeMillis();
        }
        if (warned && bytes < maxBytes / 2 && messages.size() < maxTopics / 2) warned = false;
        return true;
    }

    BusMessage get(String topic) {
        return messages.get(topic);
    }

    Collection<BusMessage> all() {
        return messages.values();
    }

    int size() {
        return messages.size();
    }

    /** Whether a snapshot is due now (QoS 0 changes after a few seconds, others after the period). */
    boolean due(long now) {
        if (!dirty) return false;
        long q0 = qos0DirtySince;
        return (q0 != 0 && now - q0 >= QOS0_DELAY_MS) || now - savedAt >= PERIOD_MS;
    }

    /** Reads the snapshot; returns the position to replay the journal from (0: from its start). */
    long load() {
        try {
            byte[] data = Files.readAllBytes(file);
            if (data.length < 20) throw new IOException("too short");
            CRC32C crc = new CRC32C();
            crc.update(data, 0, data.length - 4);
            int sum = ((data[data.length - 4] & 0xff) << 24) | ((data[data.length - 3] & 0xff) << 16) | ((data[data.length - 2] & 0xff) << 8)
                    | (data[data.length - 1] & 0xff);
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 4));
            if (in.readInt() != MAGIC || sum != (int) crc.getValue()) throw new IOException("checksum mismatch");
            long covered = in.readLong();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String topic = in.readUTF();
                byte[] p = new byte[in.readInt()];
                in.readFully(p);
                int qos = in.readByte();
                put(new BusMessage(topic, p, qos, true, -1));
            }
            coveredTo = covered;
            dirty = false;
            qos0DirtySince = 0;
            return covered;
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Retained messages snapshot {} is unreadable ({}); rebuilding from the journal", file, e.toString());
            messages.clear();
            bytes = 0;
            return 0;
        }
    }

    /** The snapshot's bytes, to write outside the lock; call under the route lock. */
    byte[] snapshot(long covered) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bo);
        out.writeInt(MAGIC);
        out.writeLong(covered);
        out.writeInt(messages.size());
        for (BusMessage m : messages.values()) {
            out.writeUTF(m.topic());
            out.writeInt(m.payload().length);
            out.write(m.payload());
            out.writeByte(m.qos());
        }
        out.flush();
        CRC32C crc = new CRC32C();
        crc.update(bo.toByteArray());
        out.writeInt((int) crc.getValue());
        dirty = false;
        qos0DirtySince = 0;
        return bo.toByteArray();
    }

    void write(byte[] data, long covered) {
        try {
            PrivateFiles.replace(file, data, false);
            coveredTo = covered;
            savedAt = System.currentTimeMillis();
        } catch (IOException e) {
            dirty = true;
            LOG.warn("Could not save the retained messages in {}: {}", file, e.toString());
        }
    }
}
