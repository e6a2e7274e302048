package io.tedge.api;

/** MQTT topic names and filters (MQTT 3.1.1 section 4.7). */
public final class Topics {
    private Topics() {
    }

    /**
     * Whether the topic name matches the filter. Topics starting with {@code $} do not match
     * filters starting with a wildcard.
     *
     * @param filter an MQTT topic filter
     * @param topic  a topic name
     * @return true when it matches
     */
    public static boolean matches(String filter, String topic) {
        if (filter.equals(topic)) {
            return true;
        }
        if (!topic.isEmpty() && topic.charAt(0) == '$' && !filter.isEmpty()
                && (filter.charAt(0) == '+' || filter.charAt(0) == '#')) {
            return false;
        }
        int fi = 0;
        int ti = 0;
        int fl = filter.length();
        int tl = topic.length();
        while (true) {
            int fe = filter.indexOf('/', fi);
            if (fe < 0) fe = fl;
            int te = topic.indexOf('/', ti);
            boolean topicDone = ti > tl;
            if (fe - fi == 1 && filter.charAt(fi) == '#') {
                return true; // '#' matches the parent level and everything below
            }
            if (topicDone) {
                return false;
            }
            if (te < 0) te = tl;
            boolean plus = fe - fi == 1 && filter.charAt(fi) == '+';
            if (!plus && !filter.regionMatches(fi, topic, ti, Math.max(fe - fi, te - ti))) {
                return false;
            }
            if (!plus && fe - fi != te - ti) {
                return false;
            }
            boolean filterEnd = fe == fl;
            boolean topicEnd = te == tl;
            if (filterEnd && topicEnd) {
                return true;
            }
            if (filterEnd) {
                return false;
            }
            fi = fe + 1;
            ti = topicEnd ? tl + 1 : te + 1;
        }
    }

    /**
     * Validates a topic name for publishing.
     *
     * @param topic a topic name
     * @return an error text, or null when it is valid
     */
    public static String checkTopicName(String topic) {
        if (topic == null || topic.isEmpty()) return "the topic must not be empty";
        if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) return "a topic name cannot contain wildcards (+ or #): " + topic;
        if (topic.indexOf('\0') >= 0) return "a topic cannot contain a NUL character";
        return null;
    }

    /**
     * Validates a topic filter.
     *
     * @param filter a topic filter
     * @return an error text, or null when it is valid
     */
    public static String checkFilter(String filter) {
        if (filter == null || filter.isEmpty()) return "the topic filter must not be empty";
        if (filter.indexOf('\0') >= 0) return "a topic filter cannot contain a NUL character";
        String[] levels = filter.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            String l = levels[i];
            if (l.contains("#") && (!l.equals("#") || i != levels.length - 1)) {
                return "invalid topic filter '" + filter + "': '#' must be a whole level and the last one";
            }
            if (l.contains("+") && !l.equals("+")) {
                return "invalid topic filter '" + filter + "': '+' must be a whole level";
            }
        }
        return null;
    }
}
