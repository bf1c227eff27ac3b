// Credentials for the bed, made with node:crypto only.
//
// - sa.key: the ServiceAccount token key (EC P-256, SEC1 PEM). kube-apiserver gets it as both
//   --service-account-key-file (public half derived) and --service-account-signing-key-file, and
//   kube-controller-manager as --service-account-private-key-file.
// - tokens.csv: a static bearer token for user "admin" in group system:masters (bound to
//   cluster-admin by the bootstrap RBAC policy the apiserver writes at start).
// - kubeconfig: token auth against https://127.0.0.1:<port>, verified against the CA of the
//   apiserver's self-signed serving certificate (written to --cert-dir/apiserver.crt at start).
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Writes `<dir>/sa.key` and returns its path. */
export function writeServiceAccountKey(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const { privateKey } = generateKeyPairSync("ec", {
    namedCurve: "prime256v1",
    privateKeyEncoding: { type: "sec1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const path = join(dir, "sa.key");
  writeFileSync(path, privateKey, { mode: 0o600 });
  return path;
}

/** Writes `<dir>/tokens.csv` with one random admin token in system:masters. */
export function writeTokenFile(dir: string, user = "admin"): { path: string; token: string } {
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(32).toString("hex");
  const path = join(dir, "tokens.csv");
  // token,user,uid,"group1,group2"
  writeFileSync(path, `${token},${user},${user},"system:masters"\n`, { mode: 0o600 });
  return { path, token };
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * The CA that signed the apiserver's self-signed serving certificate. kube-apiserver writes
 * `<cert-dir>/apiserver.crt` as "serving cert, then its CA" (client-go certutil
 * GenerateSelfSignedCertKeyWithFixtures); this returns the self-signed CA certificate as PEM, or
 * undefined while the file does not exist yet.
 */
export function readApiserverCa(certDir: string): string | undefined {
  const file = join(certDir, "apiserver.crt");
  if (!existsSync(file)) return undefined;
  const pems = splitPem(readFileSync(file, "utf8"));
  if (pems.length === 0) return undefined;
  for (const pem of pems) {
    const cert = new X509Certificate(pem);
    if (cert.ca && cert.checkIssued(cert)) return pem.trim() + "\n";
  }
  // No separate CA in the file: the serving certificate itself is the trust anchor.
  return pems.map((p) => p.trim()).join("\n") + "\n";
}

export interface KubeconfigOptions {
  path: string;
  server: string;
  token: string;
  /** PEM CA bundle for the server; without it the kubeconfig skips TLS verification. */
  caPem?: string;
  name?: string;
}

/**
 * Writes an admin kubeconfig. JSON is valid YAML, so client-go (kube-controller-manager,
 * kube-scheduler, kwok, metacontroller) and @kubernetes/client-node both load it.
 */
export function writeKubeconfig(opts: KubeconfigOptions): string {
  const name = opts.name ?? "testbed";
  const cluster: Record<string, unknown> = { server: opts.server };
  if (opts.caPem !== undefined) {
    cluster["certificate-authority-data"] = Buffer.from(opts.caPem).toString("base64");
  } else {
    cluster["insecure-skip-tls-verify"] = true;
  }
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name: "admin", user: { token: opts.token } }],
    contexts: [{ name, context: { cluster: name, user: "admin", namespace: "default" } }],
    "current-context": name,
    preferences: {},
  };
  mkdirSync(dirname(opts.path), { recursive: true });
  writeFileSync(opts.path, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  return opts.path;
}
