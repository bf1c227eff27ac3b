import { describe, expect, it } from "vitest";
import { bedOverrides, containerArgs, shippedFlags, UPSTREAM_DEFAULT_FLAGS, withFlags } from "./flags.js";

describe("Metacontroller's flags in the bed", () => {
  it("start from the shipped StatefulSet's args, tuned flags included", () => {
    const flags = shippedFlags();
    expect(flags).toContain("--client-go-qps=200");
    expect(flags).toContain("--workers=20");
  });

  it("replace only the loopback settings and keep every other shipped flag in place", () => {
    const shipped = shippedFlags();
    const args = withFlags(shipped, bedOverrides({ kubeconfigPath: "/k", healthPort: 1, metricsPort: 2 }));
    expect(args).toContain("--kubeconfig=/k");
    expect(args).toContain("--health-probe-bind-address=127.0.0.1:1");
    expect(args).toContain("--metrics-address=127.0.0.1:2");
    expect(args).toContain("--discovery-interval=2s");
    const untouched = shipped.filter(
      (a) => !/^--(health-probe-bind-address|metrics-address|discovery-interval|zap-log-level)=/.test(a),
    );
    expect(args.filter((a) => untouched.includes(a))).toEqual(untouched);
    expect(args.filter((a) => a.startsWith("--metrics-address="))).toHaveLength(1);
  });

  it("can put back client-go's and Metacontroller's defaults for a comparison", () => {
    const args = withFlags(shippedFlags(), UPSTREAM_DEFAULT_FLAGS);
    expect(args).toContain("--client-go-qps=5");
    expect(args).toContain("--client-go-burst=10");
    expect(args).toContain("--workers=5");
    expect(args).not.toContain("--client-go-qps=200");
  });

  it("refuses a flag it cannot parse rather than guessing", () => {
    expect(() => withFlags(["--workers", "20"], {})).toThrow(/--name=value/);
  });

  it("reads the args of the metacontroller container only", () => {
    const yaml = [
      "kind: StatefulSet",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - name: sidecar",
      "          args: [--x=1]",
      "        - name: metacontroller",
      "          args: [--workers=3]",
    ].join("\n");
    expect(containerArgs(yaml)).toEqual(["--workers=3"]);
    expect(() => containerArgs("kind: Deployment")).toThrow(/StatefulSet/);
  });
});
