/**
 * Labels and annotations every Spark pod, Service and ConfigMap of sparkhooks carries. Every
 * key is a constant here so selectors, status, the CLI and tests agree on them.
 */

/** Recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels). */
export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const LABEL_VERSION = "app.kubernetes.io/version";
/** Hash of the pod template a pod was made from: a differing hash marks it for replacement. */
export const LABEL_TEMPLATE_HASH = "sparkhooks.dev/template-hash";

export const APP_NAME = "spark";
export const MANAGER = "sparkhooks";

/**
 * The labels that identify one component (master, worker, driver…) of one instance: Service
 * and scale selectors use exactly these.
 */
export function selectorLabels(instance: string, component: string): Record<string, string> {
  return {
    [LABEL_NAME]: APP_NAME,
    [LABEL_INSTANCE]: instance,
    [LABEL_COMPONENT]: component,
    [LABEL_MANAGED_BY]: MANAGER,
  };
}

/** `a=b,c=d`: the form the scale subresource's `labelSelectorPath` must point at. */
export function selectorString(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/**
 * Labels Spark itself puts on the pods of a Kubernetes application (Constants.scala). The
 * driver's executor watch and Spark's Services select on the first two, so they must be on the
 * driver pod exactly as Spark would set them.
 */
export const SPARK_APP_SELECTOR = "spark-app-selector";
export const SPARK_ROLE = "spark-role";
export const SPARK_APP_NAME = "spark-app-name";
export const SPARK_VERSION_LABEL = "spark-version";
