/**
 * Which container of a user's pod template becomes the Spark container, by Spark's own rule,
 * and that a pod without a template is left exactly as it was.
 */
import type { IPod } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { selectSparkContainer, withPodTemplate } from "./pod-template.js";

const named = (name: string) => ({ name, image: `${name}:1` });

describe("the template's Spark container (KubernetesUtils.selectSparkContainer)", () => {
  it.each([
    ["the one named like Spark's", [named("sidecar"), named("spark")], "spark", ["sidecar"]],
    ["the first when none is named like it", [named("a"), named("b")], "a", ["b"]],
    ["the first when two are named like it", [named("spark"), named("spark")], "spark", ["spark"]],
  ])("is %s", (_case, containers, spark, rest) => {
    const selected = selectSparkContainer(containers, "spark");
    expect(selected.spark?.["name"]).toBe(spark);
    expect(selected.rest.map((container) => container["name"])).toEqual(rest);
  });

  it("is none for a template without containers", () => {
    expect(selectSparkContainer([], "spark")).toEqual({ spark: undefined, rest: [] });
  });
});

describe("a pod without a template", () => {
  it("is returned as it is", () => {
    const pod: IPod = { apiVersion: "v1", kind: "Pod", spec: { containers: [named("spark")] } };
    expect(withPodTemplate(undefined, pod, "spark")).toBe(pod);
  });

  it("keeps its own fields when the template is empty", () => {
    const pod: IPod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { labels: { a: "1" } },
      spec: { containers: [{ name: "spark", env: [{ name: "A", value: "1" }] }] },
    };
    expect(withPodTemplate({}, pod, "spark")).toEqual(pod);
  });
});
