// Validates one rendered resource against its schema: Kubernetes' own (kubernetes-models, generated
// from the API's OpenAPI), KEDA's and prometheus-operator's CRDs (@kubernetes-models packages,
// generated from the CRDs) and Strimzi's (our own, see strimzi-schemas.mjs).
import Ajv from "ajv";
import { strimziSchemas } from "./strimzi-schemas.mjs";

const ajv = new Ajv({ allErrors: true, strict: false });
const strimzi = Object.fromEntries(Object.entries(strimziSchemas).map(([kind, schema]) => [kind, ajv.compile(schema)]));

const CRD_PACKAGES = {
  "keda.sh": "@kubernetes-models/keda/keda.sh",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator/monitoring.coreos.com",
};

function modulePath(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  if (slash < 0) {
    return `kubernetes-models/${apiVersion}/${kind}`;
  }
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (CRD_PACKAGES[group]) {
    return `${CRD_PACKAGES[group]}/${version}/${kind}`;
  }
  return `kubernetes-models/${group}/${version}/${kind}`;
}

const models = new Map();

async function model(apiVersion, kind) {
  const path = modulePath(apiVersion, kind);
  if (!models.has(path)) {
    try {
      models.set(path, (await import(path))[kind]);
    } catch {
      models.set(path, undefined);
    }
  }
  return models.get(path);
}

function describeAjvErrors(errors) {
  return errors.map((e) => {
    const where = e.instancePath ? e.instancePath.slice(1).replaceAll("/", ".") : "(root)";
    if (e.keyword === "additionalProperties") {
      return `${where}: unknown field '${e.params.additionalProperty}'`;
    }
    return `${where}: ${e.message}`;
  });
}

/** The schema errors of one resource; an empty list when it is valid. */
export async function schemaErrors(doc) {
  if (!doc || typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
    return ["not a Kubernetes resource (apiVersion and kind are required)"];
  }
  if (doc.apiVersion.startsWith("kafka.strimzi.io/")) {
    const validate = strimzi[doc.kind];
    if (doc.apiVersion !== "kafka.strimzi.io/v1beta2" || !validate) {
      return [`no schema for ${doc.apiVersion} ${doc.kind}`];
    }
    return validate(doc) ? [] : describeAjvErrors(validate.errors);
  }
  const Model = await model(doc.apiVersion, doc.kind);
  if (!Model) {
    return [`no schema for ${doc.apiVersion} ${doc.kind}`];
  }
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    // kubernetes-models reports "data/spec/replicas must be integer, data/... must have ..."
    return String(e.message).split(/, (?=data[/ ])/).map((m) => m.replace(/^data\/?/, "").replaceAll("/", "."));
  }
}
