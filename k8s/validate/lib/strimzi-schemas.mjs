// JSON schemas for the Strimzi v1beta2 resources this project uses (Kafka, KafkaNodePool,
// KafkaTopic, KafkaUser), written from Strimzi's API reference (0.45). No registry package
// ships Strimzi's CRD schemas, so these are our own: strict (unknown fields are errors) where
// the reference lists every field, open where the field is a free-form map (broker config,
// templates, resources).

const str = { type: "string" };
const int = (minimum) => (minimum === undefined ? { type: "integer" } : { type: "integer", minimum });
const bool = { type: "boolean" };
const map = { type: "object" };
const strict = (properties, required = []) => ({ type: "object", additionalProperties: false, properties, required });
const quantity = { anyOf: [{ type: "string", pattern: "^[0-9.]+(m|Ki|Mi|Gi|Ti|k|M|G|T)?$" }, { type: "number" }] };
const resources = strict({
  requests: { type: "object", additionalProperties: quantity },
  limits: { type: "object", additionalProperties: quantity },
});
const clusterLabel = {
  type: "object",
  required: ["labels"],
  properties: {
    labels: { type: "object", required: ["strimzi.io/cluster"], properties: { "strimzi.io/cluster": str } },
  },
};

const singleVolume = strict({
  id: int(0),
  type: { enum: ["ephemeral", "persistent-claim"] },
  size: str,
  sizeLimit: str,
  class: str,
  deleteClaim: bool,
  kraftMetadata: { enum: ["shared"] },
  selector: map,
  overrides: { type: "array" },
}, ["type"]);
const storage = {
  oneOf: [
    strict({ type: { const: "jbod" }, volumes: { type: "array", minItems: 1, items: singleVolume } },
      ["type", "volumes"]),
    singleVolume,
  ],
};

const listener = strict({
  name: { type: "string", pattern: "^[a-z0-9]{1,11}$" },
  port: { type: "integer", minimum: 9092, not: { enum: [9404, 9999] } },
  type: { enum: ["internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"] },
  tls: bool,
  authentication: {
    type: "object",
    required: ["type"],
    properties: { type: { enum: ["tls", "scram-sha-512", "oauth", "custom"] } },
  },
  configuration: map,
  networkPolicyPeers: { type: "array", items: map },
}, ["name", "port", "type", "tls"]);

const kafkaSpec = strict({
  kafka: strict({
    version: { type: "string", pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+$" },
    metadataVersion: str,
    replicas: int(1),
    image: str,
    listeners: { type: "array", minItems: 1, items: listener },
    config: map,
    storage,
    authorization: {
      type: "object",
      required: ["type"],
      properties: { type: { enum: ["simple", "opa", "keycloak", "custom"] }, superUsers: { type: "array" } },
    },
    rack: map,
    brokerRackInitImage: str,
    livenessProbe: map,
    readinessProbe: map,
    jvmOptions: map,
    jmxOptions: map,
    resources,
    metricsConfig: map,
    logging: map,
    template: map,
    tieredStorage: map,
    quotas: map,
  }, ["listeners"]),
  zookeeper: map,
  entityOperator: strict({ topicOperator: map, userOperator: map, tlsSidecar: map, template: map }),
  clusterCa: map,
  clientsCa: map,
  cruiseControl: map,
  kafkaExporter: map,
  maintenanceTimeWindows: { type: "array", items: str },
}, ["kafka"]);

const nodePoolSpec = strict({
  replicas: int(0),
  storage,
  roles: { type: "array", minItems: 1, uniqueItems: true, items: { enum: ["controller", "broker"] } },
  resources,
  jvmOptions: map,
  template: map,
}, ["replicas", "storage", "roles"]);

const topicSpec = strict({
  topicName: { type: "string", pattern: "^[a-zA-Z0-9._-]{1,249}$" },
  partitions: int(1),
  replicas: { type: "integer", minimum: 1, maximum: 32767 },
  config: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
});

const operations = ["Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs",
  "DescribeConfigs", "IdempotentWrite", "All"];
const acl = strict({
  resource: strict({
    type: { enum: ["topic", "group", "cluster", "transactionalId"] },
    name: str,
    patternType: { enum: ["literal", "prefix"] },
  }, ["type"]),
  type: { enum: ["allow", "deny"] },
  host: str,
  operations: { type: "array", minItems: 1, uniqueItems: true, items: { enum: operations } },
}, ["resource", "operations"]);
const userSpec = strict({
  authentication: strict({ type: { enum: ["tls", "tls-external", "scram-sha-512"] }, password: map }, ["type"]),
  authorization: strict({ type: { const: "simple" }, acls: { type: "array", items: acl } }, ["type", "acls"]),
  quotas: strict({
    producerByteRate: int(0),
    consumerByteRate: int(0),
    requestPercentage: int(0),
    controllerMutationRate: { type: "number", minimum: 0 },
  }),
  template: map,
});

const resource = (kind, spec, needsClusterLabel) => ({
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "kafka.strimzi.io/v1beta2" },
    kind: { const: kind },
    metadata: needsClusterLabel
      ? { allOf: [{ type: "object", required: ["name"], properties: { name: str } }, clusterLabel] }
      : { type: "object", required: ["name"], properties: { name: str } },
    spec,
    status: map,
  },
  additionalProperties: false,
});

export const strimziSchemas = {
  Kafka: resource("Kafka", kafkaSpec, false),
  KafkaNodePool: resource("KafkaNodePool", nodePoolSpec, true),
  KafkaTopic: resource("KafkaTopic", topicSpec, true),
  KafkaUser: resource("KafkaUser", userSpec, true),
};
