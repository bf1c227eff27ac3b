/**
 * How sparkhooks writes YAML that Kubernetes tools (Go YAML, YAML 1.1 rules) will read.
 *
 * lineWidth 0: never fold long descriptions, so a one-word change is a one-line diff.
 * version 1.1: quote what YAML 1.1 readers (kubectl's Go YAML) would take for a boolean or
 * number, such as `yes`, `on` or `2026-01-01`; the output stays valid YAML 1.2.
 * aliasDuplicateObjects false: a shared object is written out each time, never as `&a1`/`*a1`.
 */
export const KUBE_YAML = { lineWidth: 0, version: "1.1", aliasDuplicateObjects: false } as const;
