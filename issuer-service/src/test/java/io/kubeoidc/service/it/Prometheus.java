package io.kubeoidc.service.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.DoublePredicate;

/** One series of the service's /actuator/prometheus, read as a Prometheus server would. */
final class Prometheus {
    private static final HttpClient http = HttpClient.newHttpClient();

    private Prometheus() {}

    /** @param series the name with its labels exactly as exposed, e.g. {@code x_total{reason="a"}}; NaN if absent */
    static double value(int managementPort, String series) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(
                l.substring(series.length() + 1).strip())).findFirst().orElse(Double.NaN);
    }

    /** Polls until the series satisfies {@code condition} (generous deadline), and returns its value then. */
    static double await(int managementPort, String series, DoublePredicate condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        double v = value(managementPort, series);
        while (!condition.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(series + " is still " + v + " after 60 s");
            }
            Thread.sleep(100);
            v = value(managementPort, series);
        }
        return v;
    }
}
