package io.tedge.broker.mqtt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The subscriptions indexed by topic level: a publish walks one branch per level (the level's
 * own name, {@code +}) and collects the {@code #} subscribers on the way, so its cost grows with
 * the depth of the topic and the number of matching subscribers, not with the number of filters.
 * Not thread safe: guarded by the broker's routing lock.
 */
final class TopicTree {

    /** Something that subscribes: an MQTT session or an in-process subscription. */
    abstract static class Subscriber {
        /** Routing scratch: the publish this subscriber was last matched for, and its best QoS. */
        long matchedFor = -1;
        int matchedQos;
    }

    /** Receives each matching subscriber once per publish, with the highest QoS among its filters. */
    interface Visitor {
        void matched(Subscriber s, int qos);
    }

    private record Entry(Subscriber subscriber, int qos) {
    }

    private static final class Node {
        Map<String, Node> children;
        Node plus;
        List<Entry> here;
        List<Entry> hash;

        boolean empty() {
            return (children == null || children.isEmpty()) && plus == null && (here == null || here.isEmpty())
                    && (hash == null || hash.isEmpty());
        }
    }

    private final Node root = new Node();
    private int size;
    private long publishes;
    private final List<Subscriber> matched = new ArrayList<>();
    private String lastTopic;
    private String[] lastLevels;

    int size() {
        return size;
    }

    /** Adds (or updates the QoS of) a subscriber's filter. */
    void add(String filter, Subscriber s, int qos) {
        String[] levels = filter.split("/", -1);
        Node n = root;
        for (int i = 0; i < levels.length; i++) {
            String l = levels[i];
            if (l.equals("#")) {
                if (n.hash == null) n.hash = new ArrayList<>(2);
                put(n.hash, s, qos);
                return;
            }
            if (l.equals("+")) {
                if (n.plus == null) n.plus = new Node();
                n = n.plus;
            } else {
                if (n.children == null) n.children = new HashMap<>(4);
                n = n.children.computeIfAbsent(l, k -> new Node());
            }
        }
        if (n.here == null) n.here = new ArrayList<>(2);
        put(n.here, s, qos);
    }

    private void put(List<Entry> list, Subscriber s, int qos) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).subscriber() == s) {
                list.set(i, new Entry(s, qos));
                return;
            }
        }
        list.add(new Entry(s, qos));
        size++;
    }

    /** Removes a subscriber's filter; returns whether it was there. */
    boolean remove(String filter, Subscriber s) {
        String[] levels = filter.split("/", -1);
        return remove(root, levels, 0, s);
    }

    private boolean remove(Node n, String[] levels, int i, Subscriber s) {
        if (i == levels.length) return drop(n.here, s);
        String l = levels[i];
        if (l.equals("#")) return drop(n.hash, s);
        Node child = l.equals("+") ? n.plus : n.children == null ? null : n.children.get(l);
        if (child == null) return false;
        boolean removed = remove(child, levels, i + 1, s);
        if (removed && child.empty()) {
            if (l.equals("+")) n.plus = null;
            else n.children.remove(l);
        }
        return removed;
    }

    private boolean drop(List<Entry> list, Subscriber s) {
        if (list == null) return false;
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).subscriber() == s) {
                list.remove(i);
                size--;
                return true;
            }
        }
        return false;
    }

    /** Calls the visitor once for each subscriber with a filter that matches the topic name. */
    void match(String topic, Visitor v) {
        long id = ++publishes;
        matched.clear();
        String[] levels;
        if (topic.equals(lastTopic)) {
            levels = lastLevels; // a burst on one topic: split once
        } else {
            levels = split(topic);
            lastTopic = topic;
            lastLevels = levels;
        }
        boolean dollar = topic.startsWith("$");
        walk(root, levels, 0, dollar, id);
        for (int i = 0, n = matched.size(); i < n; i++) {
            Subscriber s = matched.get(i);
            v.matched(s, s.matchedQos);
        }
        matched.clear();
    }

    /** The levels of a topic name (as {@code split("/", -1)}). */
    private static String[] split(String topic) {
        int n = 1;
        for (int i = topic.indexOf('/'); i >= 0; i = topic.indexOf('/', i + 1)) n++;
        String[] out = new String[n];
        int from = 0;
        for (int k = 0; k < n - 1; k++) {
            int to = topic.indexOf('/', from);
            out[k] = topic.substring(from, to);
            from = to + 1;
        }
        out[n - 1] = topic.substring(from);
        return out;
    }

    private void walk(Node n, String[] levels, int i, boolean dollar, long id) {
        // a wildcard in the first level does not match topics that start with '$'
        boolean wild = !(dollar && i == 0);
        if (wild && n.hash != null) collect(n.hash, id); // '#' also matches the parent level
        if (i == levels.length) {
            if (n.here != null) collect(n.here, id);
            return;
        }
        if (n.children != null) {
            Node c = n.children.get(levels[i]);
            if (c != null) walk(c, levels, i + 1, dollar, id);
        }
        if (wild && n.plus != null) walk(n.plus, levels, i + 1, dollar, id);
    }

    private void collect(List<Entry> list, long id) {
        for (int i = 0, n = list.size(); i < n; i++) {
            Entry e = list.get(i);
            Subscriber s = e.subscriber();
            if (s.matchedFor != id) {
                s.matchedFor = id;
                s.matchedQos = e.qos();
                matched.add(s);
            } else if (e.qos() > s.matchedQos) {
                s.matchedQos = e.qos();
            }
        }
    }
}
