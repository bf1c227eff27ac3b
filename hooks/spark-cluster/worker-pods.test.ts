/**
 * How workers move to a new template: broken old workers first, then Ready ones one at a time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../metacontroller/protocol.js";
import {
  clusterParent,
  converge,
  crashLooping,
  imagePullBackOff,
  namesOf,
  notReady,
  podsOf,
  sync,
  unschedulable,
} from "../../test/support/cluster.js";

const ORDINAL = "sparkhooks.dev/worker-ordinal";
const MAX_WORKERS = 5;

const oldSpec = (instances: number) => ({ worker: { instances }, env: [{ name: "RELEASE", value: "1" }] });
const newSpec = (instances: number) => ({ worker: { instances }, env: [{ name: "RELEASE", value: "2" }] });

/** Converged worlds on the old and the new template, per worker count, computed once. */
const worlds = new Map<number, { old: KubeObject[]; new: KubeObject[] }>();
function worldsOf(instances: number): { old: KubeObject[]; new: KubeObject[] } {
  const known = worlds.get(instances);
  if (known !== undefined) return known;
  const made = {
    old: converge(clusterParent(oldSpec(instances))),
    new: converge(clusterParent(newSpec(instances))),
  };
  worlds.set(instances, made);
  return made;
}

function slotOf(pod: { metadata: { labels?: Record<string, string> | undefined } }): number {
  return Number(pod.metadata.labels?.[ORDINAL]);
}

function workerIn(world: readonly KubeObject[], slot: number): KubeObject {
  const pod = podsOf(world, "worker").find((p) => slotOf(p) === slot);
  if (pod === undefined) throw new Error(`no worker in slot ${slot}`);
  return pod;
}

/** What stands in one worker slot. */
type SlotState = "missing" | "old-ready" | "old-broken" | "new-ready" | "new-starting";
const BREAKAGES = [notReady, crashLooping, imagePullBackOff, unschedulable] as const;

/**
 * A cluster mid-roll: Services, both configurations and the new master, plus one pod per slot
 * as `states` say. `breakage` picks how a not-Ready pod is unwell.
 */
function midRoll(states: readonly SlotState[], breakage = 0): KubeObject[] {
  const { old, new: current } = worldsOf(states.length);
  const broken = BREAKAGES[breakage % BREAKAGES.length] ?? notReady;
  const others = [...old, ...current].filter(
    (o, index, all) =>
      o.kind !== "Pod" && all.findIndex((p) => p.metadata.name === o.metadata.name) === index,
  );
  const workers = states.flatMap((state, slot): KubeObject[] => {
    switch (state) {
      case "missing":
        return [];
      case "old-ready":
        return [workerIn(old, slot)];
      case "old-broken":
        return [broken(workerIn(old, slot))];
      case "new-ready":
        return [workerIn(current, slot)];
      case "new-starting":
        return [notReady(workerIn(current, slot))];
    }
  });
  return [...others, ...podsOf(current, "master"), ...workers];
}

/** The slots whose desired worker is a new-template pod that is not observed yet. */
function replacedSlots(states: readonly SlotState[], breakage = 0): number[] {
  const observed = midRoll(states, breakage);
  const { response } = sync(clusterParent(newSpec(states.length)), observed);
  const observedNames = new Set(namesOf(observed));
  return podsOf(response.children as KubeObject[], "worker")
    .filter((pod) => !observedNames.has(pod.metadata.name) && states[slotOf(pod)] !== "missing")
    .map(slotOf)
    .sort((a, b) => a - b);
}

describe("a rolling worker update", () => {
  it.each<[string, SlotState[], number[]]>([
    [
      "replaces the highest Ready old worker when every slot is Ready",
      ["old-ready", "old-ready", "old-ready"],
      [2],
    ],
    ["keeps going from the highest old slot", ["old-ready", "old-ready", "new-ready"], [1]],
    ["waits while a new worker is still starting", ["old-ready", "old-ready", "new-starting"], []],
    [
      "replaces a broken old worker below the highest slot at once",
      ["old-broken", "old-ready", "old-ready"],
      [0],
    ],
    [
      "replaces every broken old worker at once: they serve nothing",
      ["old-broken", "old-broken", "old-ready"],
      [0, 1],
    ],
    [
      "replaces a broken old worker even while a new one is starting",
      ["old-ready", "old-broken", "new-starting"],
      [1],
    ],
    ["replaces a broken old worker in the highest slot", ["old-ready", "old-ready", "old-broken"], [2]],
  ])("%s", (_, states, replaced) => {
    for (let breakage = 0; breakage < BREAKAGES.length; breakage += 1) {
      expect(replacedSlots(states, breakage), `breakage ${breakage}`).toEqual(replaced);
    }
  });

  it("finishes when an old worker below the highest slot crash-loops", () => {
    const parent = clusterParent(newSpec(3));
    let world = midRoll(["old-broken", "old-ready", "old-ready"], 1);
    const old = new Set(namesOf(podsOf(worldsOf(3).old, "worker")));
    world = converge(parent, world);
    expect(podsOf(world, "worker").filter((pod) => old.has(pod.metadata.name))).toEqual([]);
    expect(sync(parent, world).response.status).toMatchObject({ phase: "Running", workers: { upToDate: 3 } });
  });
});

describe("rolling update invariants", () => {
  const slotState = fc.constantFrom<SlotState>(
    "missing",
    "old-ready",
    "old-broken",
    "new-ready",
    "new-starting",
  );
  const states = fc.array(slotState, { minLength: 1, maxLength: MAX_WORKERS });
  const breakage = fc.nat({ max: BREAKAGES.length - 1 });
  const settings = { numRuns: 150 };

  it("never stalls while an old worker is not Ready: every broken old worker is replaced", () => {
    fc.assert(
      fc.property(states, breakage, (slots, how) => {
        const broken = slots.flatMap((state, slot) => (state === "old-broken" ? [slot] : []));
        expect(replacedSlots(slots, how)).toEqual(expect.arrayContaining(broken));
      }),
      settings,
    );
  });

  it("replaces a Ready old worker only while every other slot has a Ready worker, and one at a time", () => {
    fc.assert(
      fc.property(states, breakage, (slots, how) => {
        const replacedReady = replacedSlots(slots, how).filter((slot) => slots[slot] === "old-ready");
        expect(replacedReady.length).toBeLessThanOrEqual(1);
        for (const slot of replacedReady) {
          const othersReady = slots.every(
            (state, other) => other === slot || state === "old-ready" || state === "new-ready",
          );
          expect(othersReady, `slots ${slots.join(",")}`).toBe(true);
        }
      }),
      settings,
    );
  });

  it("waits with old workers left only while a slot is empty or a new worker is starting", () => {
    fc.assert(
      fc.property(states, breakage, (slots, how) => {
        const rolling = slots.some((state) => state === "old-ready" || state === "old-broken");
        if (!rolling || replacedSlots(slots, how).length > 0) return;
        expect(slots.some((state) => state === "missing" || state === "new-starting")).toBe(true);
      }),
      settings,
    );
  });
});
