import { describe, expect, it } from "vitest";
import { customizeSparkApplication } from "../../hooks/spark-application/customize.js";
import { CustomizeRequest, type KubeObject } from "../../hooks/metacontroller/protocol.js";
import { applicationSteadyState } from "./application-bodies.js";

interface Request {
  parent: KubeObject;
  children: Record<string, Record<string, KubeObject>>;
  related: Record<string, Record<string, KubeObject>>;
}

const matches = (labels: Record<string, string> | undefined, selector: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe("the SparkApplication benchmark body", () => {
  const steady = applicationSteadyState(10);
  const request = JSON.parse(steady.body) as Request;
  const executors = Object.values(request.related["Pod.v1"] ?? {});
  const driver = Object.values(request.children["Pod.v1"] ?? {})[0];

  it("is a running application with its ConfigMap, Services and driver pod observed", () => {
    expect(steady.response.children.map((child) => child.kind).sort()).toEqual([
      "ConfigMap",
      "Pod",
      "Service",
      "Service",
    ]);
    expect(steady.response.status["applicationState"]).toEqual({ state: "RUNNING" });
    expect(driver?.status).toMatchObject({ phase: "Running" });
  });

  it("relates executors the customize hook would select, owned by the driver and counted in status", () => {
    const customize = customizeSparkApplication(CustomizeRequest.parse({ parent: request.parent }));
    const [rule] = customize.relatedResources ?? [];
    const selector = (rule?.labelSelector as { matchLabels: Record<string, string> }).matchLabels;
    expect(steady.pods).toBe(10);
    for (const pod of executors) {
      expect(matches(pod.metadata.labels, selector)).toBe(true);
      expect(pod.metadata.labels?.["controller-uid"]).toBeUndefined();
      expect(pod.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: "Pod", uid: driver?.metadata.uid }),
      ]);
    }
    expect(Object.values(steady.response.status["executorState"] as Record<string, string>)).toEqual(
      Array<string>(10).fill("RUNNING"),
    );
  });
});
