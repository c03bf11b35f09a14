// What Sessionflow asks of every workload beyond a valid schema: limits, probes, a locked-down
// security context, no disk that could hold plaintext, no secret written into a manifest.
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|ACCESS_KEY)/i;

function podSpec(doc) {
  return doc.spec?.template?.spec;
}

/** Policy violations of one resource; an empty list when it complies. */
export function policyErrors(doc) {
  const errors = [];
  if (doc.kind === "Secret") {
    errors.push("a Secret is written into the manifests: reference one created outside them instead");
  }
  if (doc.kind === "ConfigMap") {
    for (const key of Object.keys(doc.data ?? {})) {
      if (SECRET_NAME.test(key)) {
        errors.push(`data.${key}: looks like a secret; put it in a Secret and reference it`);
      }
    }
  }
  if (!WORKLOADS.has(doc.kind)) {
    return errors;
  }
  const spec = podSpec(doc) ?? {};
  const podContext = spec.securityContext ?? {};
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath) {
      errors.push(`volumes.${volume.name}: hostPath volumes are not allowed`);
    }
    if (volume.emptyDir && volume.emptyDir.medium !== "Memory") {
      errors.push(`volumes.${volume.name}: an emptyDir must be in memory (medium: Memory), never on the node's disk`);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const at = `containers.${c.name}`;
    const context = c.securityContext ?? {};
    for (const kind of ["requests", "limits"]) {
      for (const resource of ["cpu", "memory"]) {
        if (kind === "limits" && resource === "cpu") {
          continue;
        }
        if (c.resources?.[kind]?.[resource] === undefined) {
          errors.push(`${at}.resources.${kind}.${resource}: required`);
        }
      }
    }
    if (!(spec.initContainers ?? []).includes(c)) {
      for (const probe of ["readinessProbe", "livenessProbe"]) {
        if (!c[probe]) {
          errors.push(`${at}.${probe}: required`);
        }
      }
    }
    if (!(context.runAsNonRoot ?? podContext.runAsNonRoot)) {
      errors.push(`${at}: must run as non-root (runAsNonRoot: true)`);
    }
    if (context.readOnlyRootFilesystem !== true) {
      errors.push(`${at}.securityContext.readOnlyRootFilesystem: must be true`);
    }
    if (context.allowPrivilegeEscalation !== false) {
      errors.push(`${at}.securityContext.allowPrivilegeEscalation: must be false`);
    }
    if (context.privileged === true) {
      errors.push(`${at}.securityContext.privileged: must not be true`);
    }
    if (!(context.capabilities?.drop ?? []).includes("ALL")) {
      errors.push(`${at}.securityContext.capabilities.drop: must drop ALL`);
    }
    const image = c.image ?? "";
    if (!/:[^/]+$/.test(image) && !image.includes("@sha256:")) {
      errors.push(`${at}.image: '${image}' has no tag`);
    } else if (image.endsWith(":latest")) {
      errors.push(`${at}.image: 'latest' is not a release`);
    }
    for (const env of c.env ?? []) {
      if (env.value !== undefined && SECRET_NAME.test(env.name)) {
        errors.push(`${at}.env.${env.name}: a secret value written inline; use valueFrom.secretKeyRef`);
      }
    }
  }
  return errors;
}
