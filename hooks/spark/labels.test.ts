import { describe, expect, it } from "vitest";
import { isLabelValue, isQualifiedName } from "../kube/names.js";
import { selectorLabels, selectorString } from "./labels.js";

describe("selector labels", () => {
  it("identify one component of one instance with valid label keys and values", () => {
    const labels = selectorLabels("my-spark", "worker");
    expect(labels).toEqual({
      "app.kubernetes.io/name": "spark",
      "app.kubernetes.io/instance": "my-spark",
      "app.kubernetes.io/component": "worker",
      "app.kubernetes.io/managed-by": "sparkhooks",
    });
    for (const [key, value] of Object.entries(labels)) {
      expect(isQualifiedName(key), key).toBe(true);
      expect(isLabelValue(value), value).toBe(true);
    }
  });

  it("print as the equality selector the scale subresource serves", () => {
    expect(selectorString({ a: "1", "b.io/c": "d" })).toBe("a=1,b.io/c=d");
  });
});
