/**
 * For any spec the API server would admit (generated from the structural schema of the spec
 * itself, so fields added later are covered too), the Services, the unsupported-field report and
 * the spec problems never throw, are deterministic, and the Services the API server would be
 * sent are valid whenever the spec has no problem.
 */
import fc from "fast-check";
import { Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { applyDefaults } from "../../test/crd/structural-rules.js";
import { arbitraryFor } from "../../test/support/schema-arbitrary.js";
import { structuralSchema } from "../crd/structural.js";
import type { ApplicationRun } from "./names.js";
import { parseSparkApplicationSpec, SparkApplicationSpec } from "./schema.js";
import { applicationServices, serviceProblems } from "./services.js";
import { sparkConfigMapFiles } from "./spark-config-map.js";
import { specProblems, unsupportedFields } from "./unsupported.js";

const schema = structuralSchema(SparkApplicationSpec, { path: "spec" });

const specs = arbitraryFor(schema)
  .map((raw) => parseSparkApplicationSpec(applyDefaults(raw, schema)))
  .filter((parsed) => parsed.ok)
  .map((parsed) => {
    if (!parsed.ok) throw new Error("filtered");
    return parsed.spec;
  });

const RUN: ApplicationRun = { name: "etl", namespace: "jobs", uid: "u-1", attempt: 2 };

describe("for every spec the schema admits", () => {
  it("the Services and reports are rendered without throwing, the same every time", () => {
    fc.assert(
      fc.property(specs, (spec) => {
        const rendered = () => ({
          services: applicationServices(RUN, spec),
          unsupported: unsupportedFields(spec),
          problems: [...specProblems(spec), ...serviceProblems(spec)],
          conf: sparkConfigMapFiles(spec, []),
        });
        expect(rendered()).toEqual(rendered());
      }),
      { numRuns: 60 },
    );
  }, 30_000);

  it("the Services are valid when serviceProblems finds nothing", () => {
    fc.assert(
      fc.property(specs, (spec) => {
        fc.pre(serviceProblems(spec).length === 0);
        for (const service of applicationServices(RUN, spec)) {
          expect(() => new Service(service).validate()).not.toThrow();
        }
      }),
      { numRuns: 60 },
    );
  }, 30_000);
});
