package io.tedge.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * A load generator, not a test: P pipelined QoS 1 publishers (Paho, up to W messages in flight
 * each) send N messages of B bytes each to host:port; prints the messages per second counted
 * from the first publish to the last PUBACK.
 *
 * <pre>java -cp test-classes:paho.jar io.tedge.bench.Qos1Load HOST PORT N PUBLISHERS WINDOW BYTES</pre>
 */
public final class Qos1Load {
    private Qos1Load() {
    }

    public static void main(String[] a) throws Exception {
        String host = a[0];
        int port = Integer.parseInt(a[1]);
        int n = Integer.parseInt(a[2]);
        int pubs = Integer.parseInt(a[3]);
        int window = Integer.parseInt(a[4]);
        int bytes = Integer.parseInt(a[5]);
        byte[] payload = new byte[bytes];
        java.util.Arrays.fill(payload, (byte) 'x');
        MqttAsyncClient[] clients = new MqttAsyncClient[pubs];
        for (int i = 0; i < pubs; i++) {
            clients[i] = new MqttAsyncClient("tcp://" + host + ":" + port, "load-" + i + "-" + System.nanoTime(), new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setMaxInflight(window);
            clients[i].connect(o).waitForCompletion(10_000);
        }
        CountDownLatch done = new CountDownLatch(n);
        AtomicLong failed = new AtomicLong();
        long t0 = System.nanoTime();
        Thread[] threads = new Thread[pubs];
        for (int i = 0; i < pubs; i++) {
            MqttAsyncClient c = clients[i];
            int share = n / pubs + (i < n % pubs ? 1 : 0);
            Semaphore inflight = new Semaphore(window);
            IMqttActionListener l = new IMqttActionListener() {
                public void onSuccess(IMqttToken t) {
                    inflight.release();
                    done.countDown();
                }

                public void onFailure(IMqttToken t, Throwable e) {
                    inflight.release();
                    failed.incrementAndGet();
                    done.countDown();
                }
            };
            threads[i] = new Thread(() -> {
                try {
                    for (int k = 0; k < share; k++) {
                        inflight.acquire();
                        c.publish("bench/load", payload, 1, false, null, l);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            threads[i].start();
        }
        done.await();
        long ns = System.nanoTime() - t0;
        for (MqttAsyncClient c : clients) {
            c.disconnect().waitForCompletion(5000);
            c.close();
        }
        System.out.printf("%d msgs in %.3f s = %.0f msg/s (%d publishers, window %d, %d-byte payload, %d failed)%n", n, ns / 1e9,
                n / (ns / 1e9), pubs, window, bytes, failed.get());
    }
}
