import { describe, expect, it } from "vitest";
import { scrapeAnnotations } from "./metrics.js";

describe("scrapeAnnotations", () => {
  it("point Prometheus at the servlet only when metrics are on", () => {
    expect(scrapeAnnotations(false, 8080, "/metrics/master/prometheus")).toEqual({});
    expect(scrapeAnnotations(true, 8081, "/metrics/prometheus")).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8081",
      "prometheus.io/path": "/metrics/prometheus",
    });
  });
});
