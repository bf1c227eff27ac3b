/**
 * `metrics: true`: Spark's native Prometheus sink, served on the existing UI ports (no agent
 * jar, no extra port), and the scrape annotations that point Prometheus at it.
 */

/** Where each daemon's PrometheusServlet is mounted on its UI (the master has its own). */
export const PROMETHEUS_PATH = "/metrics/prometheus";
export const MASTER_PROMETHEUS_PATH = "/metrics/master/prometheus";

export const METRICS_SETTINGS: readonly (readonly [string, string])[] = [
  ["spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet"],
  ["spark.metrics.conf.*.sink.prometheusServlet.path", PROMETHEUS_PATH],
  ["spark.metrics.conf.master.sink.prometheusServlet.path", MASTER_PROMETHEUS_PATH],
  ["spark.metrics.conf.applications.sink.prometheusServlet.path", "/metrics/applications/prometheus"],
  ["spark.metrics.conf.*.source.jvm.class", "org.apache.spark.metrics.source.JvmSource"],
];

/**
 * Scrape annotations for the Prometheus servlet mounted at `servletPath` on a UI port; none
 * when metrics are off. The servlet is a Jetty context, and Jetty answers a context's path
 * without its trailing slash with a 301 to the path with one, which scrapers that do not
 * follow redirects record as a failed scrape; so the annotation carries the slash.
 */
export function scrapeAnnotations(
  enabled: boolean,
  port: number,
  servletPath: string,
): Record<string, string> {
  if (!enabled) return {};
  return {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(port),
    "prometheus.io/path": `${servletPath}/`,
  };
}
