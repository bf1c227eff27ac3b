/**
 * `metrics: true`: Spark's native Prometheus sink, served on the existing UI ports (no agent
 * jar, no extra port), and the scrape annotations that point Prometheus at it.
 */

export const METRICS_SETTINGS: readonly (readonly [string, string])[] = [
  ["spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet"],
  ["spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus"],
  ["spark.metrics.conf.master.sink.prometheusServlet.path", "/metrics/master/prometheus"],
  ["spark.metrics.conf.applications.sink.prometheusServlet.path", "/metrics/applications/prometheus"],
  ["spark.metrics.conf.*.source.jvm.class", "org.apache.spark.metrics.source.JvmSource"],
];

/** Scrape annotations for the Prometheus servlet on a UI port; none when metrics are off. */
export function scrapeAnnotations(enabled: boolean, port: number, path: string): Record<string, string> {
  if (!enabled) return {};
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": path };
}
