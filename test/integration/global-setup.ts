/**
 * One real control plane for the whole integration run: built (or taken from the cache in
 * .testbed/), started on loopback, and stopped after the last file. Each test file starts its
 * own hook server and Metacontroller against it (see scenarios/world.ts).
 */
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startBed, type Bed } from "./bed/bed.js";
import { ensureMetacontroller } from "./bed/build.js";
import { writeMetacontrollerKubeconfig } from "./metacontroller/identity.js";
import { Kube } from "./scenarios/kube.js";
import { readManifestDir, readManifests, serverSideApply, waitEstablished } from "./scenarios/manifests.js";
import { repoRoot, sharedDir } from "./paths.js";

export interface BedInfo {
  /** Admin credentials, for the tests' own requests. */
  readonly kubeconfigPath: string;
  readonly server: string;
  /** Where this run's component logs go (Metacontroller's too). */
  readonly logDir: string;
  readonly metacontroller: {
    /** The v4.17.2 binary (built from source, or METACONTROLLER_BIN). */
    readonly binary: string;
    /** ServiceAccount metacontroller/metacontroller with deploy/metacontroller's ClusterRole. */
    readonly kubeconfigPath: string;
  };
  readonly timings: Readonly<Record<string, number>>;
}

declare module "vitest" {
  export interface ProvidedContext {
    bed: BedInfo;
  }
}

let bed: Bed | undefined;

export async function setup(project: TestProject): Promise<void> {
  // First, so that a missing Metacontroller source fails the run before anything starts.
  const metacontroller = await ensureMetacontroller(repoRoot);
  bed = await startBed();
  const timings = Object.fromEntries(
    Object.entries({ ...bed.timings, metacontrollerBuild: metacontroller.seconds }).map(([k, v]) => [
      k,
      Math.round(v * 10) / 10,
    ]),
  );
  process.stderr.write(`integration bed up: ${JSON.stringify(timings)} (seconds)\n`);
  // Every scenario needs the CRDs served; admission.test.ts checks their acceptance in detail.
  const kube = new Kube(bed.kubeconfigPath);
  const crds = [
    ...readManifestDir(join(repoRoot, "crds")),
    ...readManifests(join(sharedDir, "upstream", "metacontroller-crds-v1.yaml")),
  ];
  for (const crd of crds) await serverSideApply(kube, crd);
  for (const crd of crds) await waitEstablished(kube, crd.metadata.name);
  const metacontrollerKubeconfig = await writeMetacontrollerKubeconfig(kube, {
    path: join(bed.dir, "metacontroller.kubeconfig"),
    caPem: bed.caPem,
  });
  // The garbage collector learns new resource types only on a 30 s rescan; a restart makes it
  // see our CRDs at once, so children of SparkClusters are collected from the first scenario.
  await bed.restartControllerManager();
  project.provide("bed", {
    kubeconfigPath: bed.kubeconfigPath,
    server: bed.server,
    logDir: bed.logDir,
    metacontroller: { binary: metacontroller.path, kubeconfigPath: metacontrollerKubeconfig },
    timings,
  });
}

export async function teardown(): Promise<void> {
  await bed?.stop();
}
