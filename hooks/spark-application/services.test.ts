/**
 * The driver and UI Services: Spark's headless driver Service where the Spark version needs it,
 * kubeflow's `<app>-ui-svc` honouring sparkUIOptions, both valid Services selecting only the
 * current attempt's driver.
 */
import { NO_POD_ADDITIONS } from "./pod-parts.js";
import { NO_MONITORING } from "./monitoring.js";
import fc from "fast-check";
import { Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { SCALA_PI, PYSPARK_PI, sparkApplicationSpec } from "../../test/support/spark-applications.js";
import { isDns1035Label, isLabelValue } from "../kube/names.js";
import { driverPod } from "./driver-pod.js";
import { driverSize } from "./driver-size.js";
import { driverServiceName, sparkAppId, uiServiceName, type ApplicationRun } from "./names.js";
import type { SparkApplicationSpec, SparkApplicationSpecInput } from "./schema.js";
import {
  applicationServices,
  driverService,
  hasDriverService,
  serviceProblems,
  uiService,
  uiServicePort,
  type NamedService,
} from "./services.js";
import { driverSparkConf } from "./spark-properties.js";

const RUN: ApplicationRun = { name: "spark-pi", namespace: "spark-jobs", uid: "0a1b2c3d", attempt: 1 };

const SCALA_PI_INPUT: SparkApplicationSpecInput = {
  type: "Scala",
  sparkVersion: "3.5.3",
  mainClass: "org.apache.spark.examples.SparkPi",
  mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
  driver: {},
  executor: {},
};

function withSpec(changes: Partial<SparkApplicationSpecInput>): SparkApplicationSpec {
  return sparkApplicationSpec({ ...SCALA_PI_INPUT, ...changes });
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("expected a value");
  return value;
}

function driverLabels(run: ApplicationRun, spec: SparkApplicationSpec): Record<string, string> {
  const size = driverSize(spec);
  if (!size.ok) throw new Error(size.errors.join("; "));
  return driverPod(run, spec, size.size, NO_POD_ADDITIONS).metadata.labels;
}

/** Whether a Service's selector picks a pod with these labels, as the endpoints controller decides. */
function selects(service: NamedService, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(service.spec?.selector ?? {}).every(([key, value]) => labels[key] === value);
}

describe("the driver Service of a Spark 3.5 application", () => {
  const service = required(driverService(RUN, SCALA_PI));

  it("is headless, named <app>-driver-svc, the name spark.driver.host points at", () => {
    expect(service.metadata.name).toBe("spark-pi-driver-svc");
    expect(service.spec?.clusterIP).toBe("None");
    const size = driverSize(SCALA_PI);
    if (!size.ok) throw new Error(size.errors.join("; "));
    expect(driverSparkConf(RUN, SCALA_PI, size.size, NO_MONITORING)["spark.driver.host"]).toBe(
      `${service.metadata.name}.spark-jobs.svc`,
    );
  });

  it("has Spark's three driver ports, each to the same container port", () => {
    expect(service.spec?.ports).toEqual([
      { name: "driver-rpc-port", port: 7078, targetPort: 7078, protocol: "TCP" },
      { name: "blockmanager", port: 7079, targetPort: 7079, protocol: "TCP" },
      { name: "spark-ui", port: 4040, targetPort: 4040, protocol: "TCP" },
    ]);
  });

  it("selects the attempt's driver pod by Spark's app id and role labels", () => {
    expect(service.spec?.selector).toEqual({ "spark-app-selector": sparkAppId(RUN), "spark-role": "driver" });
    expect(selects(service, driverLabels(RUN, SCALA_PI))).toBe(true);
  });

  it("does not select the previous attempt's driver, kept for its logs", () => {
    const next = { ...RUN, attempt: 2 };
    const nextService = required(driverService(next, SCALA_PI));
    expect(nextService.metadata.name).toBe(service.metadata.name);
    expect(selects(nextService, driverLabels(RUN, SCALA_PI))).toBe(false);
    expect(selects(nextService, driverLabels(next, SCALA_PI))).toBe(true);
  });

  it("is labelled with the app id, as Spark labels it", () => {
    expect(service.metadata.labels?.["spark-app-selector"]).toBe(sparkAppId(RUN));
    expect(service.metadata.labels?.["app.kubernetes.io/instance"]).toBe("spark-pi");
    expect(service.metadata.annotations).toBeUndefined();
  });

  it("carries driver.serviceAnnotations and serviceLabels, which cannot replace ours or the selector", () => {
    const spec = withSpec({
      driver: {
        serviceAnnotations: { "prometheus.io/scrape": "true" },
        serviceLabels: { team: "data", "spark-app-selector": "mine" },
      },
    });
    const annotated = required(driverService(RUN, spec));
    expect(annotated.metadata.annotations).toEqual({ "prometheus.io/scrape": "true" });
    expect(annotated.metadata.labels).toMatchObject({ team: "data", "spark-app-selector": sparkAppId(RUN) });
    expect(annotated.spec?.selector).toEqual(service.spec?.selector);
  });

  it("is a valid Service", () => {
    expect(() => new Service(service).validate()).not.toThrow();
  });
});

describe("whether there is a driver Service", () => {
  it.each([
    ["3.5.3", {}, true],
    ["4.0.1", {}, true],
    ["4.1.2", {}, false],
    ["4.2.0-preview5", {}, false],
    ["5.0", {}, false],
    ["4.1.2", { serviceAnnotations: { "prometheus.io/scrape": "true" } }, true],
    ["4.1.2", { serviceLabels: { team: "data" } }, true],
  ])("Spark %s with driver %j → %s", (sparkVersion, driver, expected) => {
    const spec = withSpec({ sparkVersion, driver });
    expect(hasDriverService(spec)).toBe(expected);
    expect(driverService(RUN, spec) !== undefined).toBe(expected);
  });

  it("Spark 4.1+ tells executors the driver's pod IP instead of a Service name", () => {
    const size = driverSize(PYSPARK_PI);
    if (!size.ok) throw new Error(size.errors.join("; "));
    const conf = driverSparkConf(RUN, PYSPARK_PI, size.size, NO_MONITORING);
    expect(conf["spark.kubernetes.executor.useDriverPodIP"]).toBe("true");
    expect(conf["spark.driver.host"]).toBeUndefined();
    expect(applicationServices(RUN, PYSPARK_PI).map((s) => s.metadata.name)).toEqual(["spark-pi-ui-svc"]);
  });
});

describe("the UI Service", () => {
  it("is kubeflow's <app>-ui-svc: ClusterIP, port 4040 named spark-driver-ui-port", () => {
    const service = uiService(RUN, SCALA_PI);
    expect(service.metadata.name).toBe("spark-pi-ui-svc");
    expect(service.spec).toEqual({
      type: "ClusterIP",
      selector: { "spark-app-selector": sparkAppId(RUN), "spark-role": "driver" },
      ports: [{ name: "spark-driver-ui-port", port: 4040, targetPort: 4040, protocol: "TCP" }],
    });
    expect(uiServicePort(SCALA_PI)).toBe(4040);
    expect(selects(service, driverLabels(RUN, SCALA_PI))).toBe(true);
  });

  it("honours sparkUIOptions, always in front of the driver's UI port 4040", () => {
    const spec = withSpec({
      sparkUIOptions: {
        servicePort: 80,
        servicePortName: "http",
        serviceType: "LoadBalancer",
        serviceAnnotations: { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" },
        serviceLabels: { exposure: "internal" },
      },
    });
    const service = uiService(RUN, spec);
    expect(service.spec?.type).toBe("LoadBalancer");
    expect(service.spec?.ports).toEqual([{ name: "http", port: 80, targetPort: 4040, protocol: "TCP" }]);
    expect(service.metadata.annotations).toEqual({
      "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    });
    expect(service.metadata.labels).toMatchObject({ exposure: "internal" });
    expect(uiServicePort(spec)).toBe(80);
    expect(() => new Service(service).validate()).not.toThrow();
  });

  it.each([
    ["http", []],
    ["spark-driver-ui-port", []],
    ["HTTP", ["spec.sparkUIOptions.servicePortName"]],
    ["ui_port", ["spec.sparkUIOptions.servicePortName"]],
  ])("port name %s → problems %j", (servicePortName, fields) => {
    const problems = serviceProblems(withSpec({ sparkUIOptions: { servicePortName } }));
    expect(problems.map((problem) => problem.split(":")[0])).toEqual(fields);
  });

  it.each<[Partial<SparkApplicationSpecInput>, string[]]>([
    [{ sparkUIOptions: { serviceAnnotations: { "example.com/team": "data", owner: "x" } } }, []],
    [
      { sparkUIOptions: { serviceAnnotations: { "not a key": "x" } } },
      ["spec.sparkUIOptions.serviceAnnotations"],
    ],
    [{ driver: { serviceAnnotations: { "-x": "y" } } }, ["spec.driver.serviceAnnotations"]],
  ])("annotations %j → problems %j", (changes, fields) => {
    const problems = serviceProblems(withSpec(changes));
    expect(problems.map((problem) => problem.split(":")[0])).toEqual(fields);
  });
});

describe("Service names", () => {
  it.each([
    ["spark-pi", "spark-pi-driver-svc", "spark-pi-ui-svc"],
    ["etl.daily", /^etl-daily-[0-9a-f]{5}-driver-svc$/, /^etl-daily-[0-9a-f]{5}-ui-svc$/],
    ["2024-report", /^spark-2024-report-[0-9a-f]{5}-driver-svc$/, /^spark-2024-report-[0-9a-f]{5}-ui-svc$/],
  ])("app %s → %s and %s", (name, driver, ui) => {
    const run = { ...RUN, name };
    expect(driverServiceName(run)).toMatch(driver);
    expect(uiServiceName(run)).toMatch(ui);
  });

  it.each([
    ["a 253-character name", `${"a".repeat(120)}.${"b".repeat(132)}`],
    ["a long name starting with a digit", `9${"x".repeat(100)}`],
    ["a name of dots and digits", "1.2.3"],
  ])("are DNS-1035 labels for %s", (_case, name) => {
    for (const service of [driverServiceName({ ...RUN, name }), uiServiceName({ ...RUN, name })]) {
      expect(isDns1035Label(service)).toBe(true);
    }
  });

  it("keep apart an app starting with a digit and one named like its Service prefix", () => {
    const digit = uiServiceName({ ...RUN, name: "1x" });
    expect(digit).not.toBe(uiServiceName({ ...RUN, name: "spark-1x" }));
  });
});

/** Any name Kubernetes accepts for a custom resource: a DNS subdomain of up to 253 characters. */
const resourceName = fc.oneof(
  fc
    .array(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
    .map((parts) =>
      parts
        .join(".")
        .slice(0, 253)
        .replace(/[-.]+$/, ""),
    )
    .filter((name) => name.length > 0),
  fc.stringMatching(/^[a-z0-9][-a-z0-9]{60,250}[a-z0-9]$/),
);

describe("for every application name", () => {
  const runs = fc.record({
    name: resourceName,
    namespace: fc.constant("spark-jobs"),
    uid: fc.uuid(),
    attempt: fc.integer({ min: 1, max: 1000 }),
  });
  const specs = fc.constantFrom(SCALA_PI, PYSPARK_PI);

  it("both Service names are DNS-1035 labels and the Services are rendered the same every time", () => {
    fc.assert(
      fc.property(runs, specs, (run, spec) => {
        expect(isDns1035Label(driverServiceName(run))).toBe(true);
        expect(isDns1035Label(uiServiceName(run))).toBe(true);
        const services = applicationServices(run, spec);
        expect(applicationServices(run, spec)).toEqual(services);
        for (const service of services) {
          expect(service.spec?.selector?.["spark-app-selector"]).toBe(sparkAppId(run));
        }
      }),
    );
  });

  it("every Service is valid for names that make valid labels", () => {
    fc.assert(
      fc.property(
        runs.filter((run) => isLabelValue(run.name)),
        specs,
        (run, spec) => {
          for (const service of applicationServices(run, spec)) {
            expect(() => new Service(service).validate()).not.toThrow();
          }
        },
      ),
    );
  });
});
