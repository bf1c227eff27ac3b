import { describe, expect, it } from "vitest";
import { MASTER_PROMETHEUS_PATH, METRICS_SETTINGS, PROMETHEUS_PATH, scrapeAnnotations } from "./metrics.js";

describe("scrapeAnnotations", () => {
  it("point Prometheus at the servlet only when metrics are on", () => {
    expect(scrapeAnnotations(false, 8080, MASTER_PROMETHEUS_PATH)).toEqual({});
    expect(scrapeAnnotations(true, 8081, PROMETHEUS_PATH)).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8081",
      "prometheus.io/path": "/metrics/prometheus/",
    });
  });

  it("add the trailing slash, since the servlet's own path answers 301", () => {
    expect(scrapeAnnotations(true, 8080, MASTER_PROMETHEUS_PATH)["prometheus.io/path"]).toBe(
      "/metrics/master/prometheus/",
    );
  });

  it("name the paths the Spark settings configure", () => {
    const paths = METRICS_SETTINGS.filter(([name]) => name.endsWith(".path")).map(([, value]) => value);
    expect(paths).toContain(PROMETHEUS_PATH);
    expect(paths).toContain(MASTER_PROMETHEUS_PATH);
  });
});
