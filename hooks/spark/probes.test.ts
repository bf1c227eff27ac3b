import { describe, expect, it } from "vitest";
import { httpProbe, uiJsonProbe } from "./probes.js";

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

describe("uiJsonProbe", () => {
  const probe = uiJsonProbe(8081, '"masterurl" *: *"spark://', { periodSeconds: 10, failureThreshold: 3 });

  it("runs bash in the container, since the image has no HTTP client", () => {
    expect(probe).toMatchObject({
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(probe.httpGet).toBeUndefined();
    expect(probe.exec?.command?.slice(0, 2)).toEqual(["/bin/bash", "-c"]);
    expect(probe.exec?.command).toHaveLength(3);
  });

  it("asks GET /json/ (with the slash: /json answers 301) at the pod IP and greps the answer", () => {
    expect(probe.exec?.command?.[2]).toBe(
      "exec 3<>/dev/tcp/$POD_IP/8081 && " +
        "printf 'GET /json/ HTTP/1.0\\r\\n\\r\\n' >&3 && " +
        'grep -q \'"masterurl" *: *"spark://\' <&3',
    );
  });

  it("refuses a pattern that would end the script's quoting", () => {
    expect(() => uiJsonProbe(8081, "it's", { periodSeconds: 10, failureThreshold: 3 })).toThrow(/quote/);
  });
});
