import { describe, expect, it } from "vitest";
import { httpProbe } from "./probes.js";

describe("httpProbe", () => {
  it("asks the web UI on the given port, with every field Kubernetes would default written out", () => {
    expect(httpProbe(8080, { periodSeconds: 10, failureThreshold: 3 })).toEqual({
      httpGet: { path: "/", port: 8080, scheme: "HTTP" },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
      successThreshold: 1,
    });
  });
});
