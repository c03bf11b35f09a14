// Checks that what one resource names exists in the same rendered overlay: the ConfigMaps,
// Secrets, service accounts and claims a pod uses, the targets of Services, Ingresses,
// autoscalers, disruption budgets and ServiceMonitors, and the topics Kafka users are granted.
// Secrets are never in the manifests: the ones Strimzi writes (a KafkaUser's password, the
// cluster CA) count as present; any other must be listed as provided by the operator.

function key(kind, name) {
  return `${kind}/${name}`;
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

function matchesExpressions(expressions, labels) {
  return (expressions ?? []).every((e) => {
    const has = labels && Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case "In": return has && e.values.includes(labels[e.key]);
      case "NotIn": return !has || !e.values.includes(labels[e.key]);
      case "Exists": return has;
      case "DoesNotExist": return !has;
      default: return false;
    }
  });
}

function selects(selector, labels) {
  return matches(selector?.matchLabels, labels) && matchesExpressions(selector?.matchExpressions, labels);
}

/** Reference errors as [resource, message] pairs; `externalSecrets` are Secret names created outside. */
export function referenceErrors(docs, externalSecrets) {
  const errors = [];
  const present = new Set(docs.map((d) => key(d.kind, d.metadata?.name)));
  const secrets = new Set(externalSecrets);
  for (const d of docs) {
    if (d.kind === "KafkaUser") {
      secrets.add(d.metadata.name);
    }
    if (d.kind === "Kafka") {
      secrets.add(`${d.metadata.name}-cluster-ca-cert`);
    }
  }
  const need = (doc, kind, name, where) => {
    const found = kind === "Secret" ? secrets.has(name) : present.has(key(kind, name));
    if (!found) {
      errors.push([doc, `${where}: ${kind} '${name}' is not in the manifests${kind === "Secret"
        ? " and not listed as provided by the operator" : ""}`]);
    }
  };
  const workloads = docs.filter((d) => d.kind === "Deployment" || d.kind === "StatefulSet");
  const topics = new Set(docs.filter((d) => d.kind === "KafkaTopic").map((d) => d.spec.topicName ?? d.metadata.name));

  for (const d of docs) {
    const spec = d.spec ?? {};
    if (d.kind === "Deployment" || d.kind === "StatefulSet") {
      const pod = spec.template?.spec ?? {};
      if (!selects(spec.selector, spec.template?.metadata?.labels)) {
        errors.push([d, "spec.selector does not match the pod template's labels"]);
      }
      if (pod.serviceAccountName) {
        need(d, "ServiceAccount", pod.serviceAccountName, "serviceAccountName");
      }
      for (const v of pod.volumes ?? []) {
        if (v.secret) need(d, "Secret", v.secret.secretName, `volumes.${v.name}`);
        if (v.configMap) need(d, "ConfigMap", v.configMap.name, `volumes.${v.name}`);
        if (v.persistentVolumeClaim) {
          need(d, "PersistentVolumeClaim", v.persistentVolumeClaim.claimName, `volumes.${v.name}`);
        }
      }
      for (const c of pod.containers ?? []) {
        const mounts = new Set((c.volumeMounts ?? []).map((m) => m.name));
        for (const m of mounts) {
          if (!(pod.volumes ?? []).some((v) => v.name === m)) {
            errors.push([d, `containers.${c.name}.volumeMounts.${m}: no such volume`]);
          }
        }
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) need(d, "ConfigMap", from.configMapRef.name, `containers.${c.name}.envFrom`);
          if (from.secretRef) need(d, "Secret", from.secretRef.name, `containers.${c.name}.envFrom`);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom ?? {};
          if (ref.secretKeyRef) need(d, "Secret", ref.secretKeyRef.name, `containers.${c.name}.env.${e.name}`);
          if (ref.configMapKeyRef) {
            need(d, "ConfigMap", ref.configMapKeyRef.name, `containers.${c.name}.env.${e.name}`);
          }
        }
        const ports = new Set((c.ports ?? []).map((p) => p.name));
        for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
          const port = c[probe]?.httpGet?.port;
          if (typeof port === "string" && !ports.has(port)) {
            errors.push([d, `containers.${c.name}.${probe}: no container port named '${port}'`]);
          }
        }
      }
    }
    if (d.kind === "Service") {
      const targets = workloads.filter((w) => matches(spec.selector, w.spec?.template?.metadata?.labels));
      if (targets.length === 0) {
        errors.push([d, "spec.selector matches no workload's pods"]);
      }
      for (const p of spec.ports ?? []) {
        if (typeof p.targetPort === "string" && !targets.some((w) => (w.spec.template.spec.containers ?? [])
          .some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)))) {
          errors.push([d, `ports.${p.name}: no selected pod has a port named '${p.targetPort}'`]);
        }
      }
    }
    if (d.kind === "Ingress") {
      for (const rule of spec.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const svc = docs.find((s) => s.kind === "Service" && s.metadata.name === path.backend?.service?.name);
          if (!svc) {
            const name = path.backend?.service?.name;
            errors.push([d, `rules.${rule.host}${path.path}: Service '${name}' is not in the manifests`]);
          } else if (path.backend.service.port?.name
            && !(svc.spec.ports ?? []).some((p) => p.name === path.backend.service.port.name)) {
            const port = path.backend.service.port.name;
            errors.push([d, `rules.${rule.host}${path.path}: Service has no port '${port}'`]);
          }
        }
      }
      for (const tls of spec.tls ?? []) {
        need(d, "Secret", tls.secretName, "tls");
      }
    }
    if (d.kind === "HorizontalPodAutoscaler" || d.kind === "ScaledObject") {
      const target = spec.scaleTargetRef ?? {};
      need(d, target.kind ?? "Deployment", target.name, "scaleTargetRef");
    }
    const selectsPods = (w) => selects(spec.selector, w.spec?.template?.metadata?.labels);
    if (d.kind === "PodDisruptionBudget" && !workloads.some(selectsPods)) {
      errors.push([d, "spec.selector matches no workload's pods"]);
    }
    if (d.kind === "ServiceMonitor") {
      const services = docs.filter((s) => s.kind === "Service" && selects(spec.selector, s.metadata?.labels));
      if (services.length === 0) {
        errors.push([d, "spec.selector matches no Service"]);
      }
      for (const ep of spec.endpoints ?? []) {
        if (ep.port && !services.every((s) => (s.spec.ports ?? []).some((p) => p.name === ep.port))) {
          errors.push([d, `endpoints.${ep.port}: not a port of every selected Service`]);
        }
      }
    }
    if (d.kind === "TriggerAuthentication") {
      for (const ref of spec.secretTargetRef ?? []) need(d, "Secret", ref.name, `secretTargetRef.${ref.parameter}`);
      for (const ref of spec.configMapTargetRef ?? []) {
        need(d, "ConfigMap", ref.name, `configMapTargetRef.${ref.parameter}`);
      }
    }
    if (d.kind === "ScaledObject") {
      for (const t of spec.triggers ?? []) {
        if (t.authenticationRef) {
          need(d, "TriggerAuthentication", t.authenticationRef.name, "triggers.authenticationRef");
        }
        if (t.type === "kafka" && t.metadata?.topic && !topics.has(t.metadata.topic)) {
          errors.push([d, `triggers.kafka: topic '${t.metadata.topic}' is not a KafkaTopic`]);
        }
      }
    }
    if (d.kind === "KafkaUser") {
      for (const acl of spec.authorization?.acls ?? []) {
        const r = acl.resource;
        if (r.type === "topic" && (r.patternType ?? "literal") === "literal" && !topics.has(r.name)) {
          errors.push([d, `acls: topic '${r.name}' is not a KafkaTopic`]);
        }
      }
    }
    if (["KafkaTopic", "KafkaUser", "KafkaNodePool"].includes(d.kind)) {
      const cluster = d.metadata?.labels?.["strimzi.io/cluster"];
      if (cluster && !present.has(key("Kafka", cluster))) {
        errors.push([d, `metadata.labels.strimzi.io/cluster: Kafka '${cluster}' is not in the manifests`]);
      }
    }
  }
  return errors;
}
