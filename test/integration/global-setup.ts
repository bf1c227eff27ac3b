/**
 * One real control plane for the whole integration run: built (or taken from the cache in
 * .testbed/), started on loopback, and stopped after the last file. Each test file starts its
 * own hook server and controller runtime against it (see scenarios/world.ts).
 */
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startBed, type Bed } from "./bed/bed.js";
import { Kube } from "./scenarios/kube.js";
import { readManifestDir, readManifests, serverSideApply, waitEstablished } from "./scenarios/manifests.js";
import { repoRoot, sharedDir } from "./paths.js";

export interface BedInfo {
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly timings: Readonly<Record<string, number>>;
}

declare module "vitest" {
  export interface ProvidedContext {
    bed: BedInfo;
  }
}

let bed: Bed | undefined;

export async function setup(project: TestProject): Promise<void> {
  bed = await startBed();
  const timings = Object.fromEntries(
    Object.entries(bed.timings).map(([k, v]) => [k, Math.round(v * 10) / 10]),
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
  // The garbage collector learns new resource types only on a 30 s rescan; a restart makes it
  // see our CRDs at once, so children of SparkClusters are collected from the first scenario.
  await bed.restartControllerManager();
  project.provide("bed", { kubeconfigPath: bed.kubeconfigPath, server: bed.server, timings });
}

export async function teardown(): Promise<void> {
  await bed?.stop();
}
