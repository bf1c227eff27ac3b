import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseYaml } from "../../hooks/cli/render.js";
import type { KubeObject } from "../../hooks/metacontroller/protocol.js";
import { controller } from "../../hooks/spark-history-server/controller.js";
import { EXPOSED_EXAMPLE, historyServerSteadyState } from "./history-server-bodies.js";
import { resync } from "./resync.js";

interface Request {
  children: Record<string, Record<string, KubeObject>>;
}

describe("the SparkHistoryServer benchmark body", () => {
  const steady = historyServerSteadyState();
  const request = JSON.parse(steady.body) as Request;
  const observed = Object.values(request.children).flatMap((byName) => Object.values(byName));

  it("is examples/sparkhistoryserver/exposed.yaml", () => {
    const file = fileURLToPath(new URL("../../examples/sparkhistoryserver/exposed.yaml", import.meta.url));
    const { documents, errors } = parseYaml(readFileSync(file, "utf8"), file);
    expect(errors).toEqual([]);
    expect(documents).toEqual([
      expect.objectContaining({ metadata: { name: EXPOSED_EXAMPLE.name }, spec: EXPOSED_EXAMPLE.spec }),
    ]);
  });

  it("is a running history server with its ConfigMap, bound claim, Service, Ingress and pod observed", () => {
    expect(observed.map((child) => child.kind).sort()).toEqual([
      "ConfigMap",
      "Ingress",
      "PersistentVolumeClaim",
      "Pod",
      "Service",
    ]);
    expect(steady.pods).toBe(1);
    expect(steady.response.status).toMatchObject({
      phase: "Running",
      ready: true,
      claim: { phase: "Bound", capacity: "5Gi" },
      ingressURL: "http://spark-history.example.com/",
    });
  });

  it("is a steady state: syncing it again asks for exactly what was applied, with the same status", () => {
    const { result, desired, applied, parentStatus } = resync(controller, steady.body);
    expect(result.outcome).toBe("ok");
    expect(desired).toEqual(applied);
    expect({ ...result.response.status, observedGeneration: 1 }).toEqual(parentStatus);
  });
});
