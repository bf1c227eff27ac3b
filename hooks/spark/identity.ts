/**
 * A passwd entry for a uid the image does not know.
 *
 * Every Spark JVM (master, worker, executor) logs in through Hadoop's UserGroupInformation,
 * whose login asks the OS for the name of the current uid; for a uid without a passwd entry
 * it fails and the JVM exits ("Invalid UID, could not determine effective user"). The
 * apache/spark image knows only uid 185 (spark), and OpenShift's restricted-v2 SCC runs pods
 * as a uid from the namespace's range. The image's own entrypoint fakes an entry with
 * nss_wrapper, but only in its Kubernetes driver/executor branches, not in the pass-through
 * branch that runs our arguments; so for such pods the arguments start with the same step,
 * after which bash execs the Spark command (which stays PID 1). Executors inherit the
 * variables from the worker, so they find the entry too.
 */
import type { IPodSecurityContext, ISecurityContext } from "kubernetes-models/v1";
import { SPARK_UID } from "./security.js";

/**
 * The image entrypoint's step (apache/spark-docker entrypoint.sh,
 * attempt_setup_fake_passwd_entry), then `exec "$@"`. The files go to /tmp through mktemp,
 * since /tmp is the one writable place a read-only root filesystem leaves for it.
 */
export const PASSWD_ENTRY_SCRIPT = [
  'if ! getent passwd "$(id -u)" >/dev/null; then',
  "  for lib in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do",
  '    if [ -s "$lib" ]; then',
  '      export LD_PRELOAD="$lib" NSS_WRAPPER_PASSWD="$(mktemp)" NSS_WRAPPER_GROUP="$(mktemp)"',
  `      printf 'spark:x:%s:%s:spark:%s:/bin/false\\n' "$(id -u)" "$(id -g)" "$SPARK_HOME" >"$NSS_WRAPPER_PASSWD"`,
  `      printf 'spark:x:%s:\\n' "$(id -g)" >"$NSS_WRAPPER_GROUP"`,
  "      break",
  "    fi",
  "  done",
  "fi",
  'exec "$@"',
].join("\n");

/** Whether the container may run as a uid other than the image's 185, i.e. one it has no entry for. */
export function mayRunWithoutPasswdEntry(pod: IPodSecurityContext, container: ISecurityContext): boolean {
  return (container.runAsUser ?? pod.runAsUser) !== SPARK_UID;
}

/** `args` run after the passwd step; bash's `$0` is "spark", the rest is `"$@"`. */
export function launchedWithPasswdEntry(args: readonly string[]): string[] {
  return ["/bin/bash", "-c", PASSWD_ENTRY_SCRIPT, "spark", ...args];
}
