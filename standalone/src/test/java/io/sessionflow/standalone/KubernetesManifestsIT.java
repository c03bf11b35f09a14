package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.analyzer.AnalyzerConfig;
import io.sessionflow.analyzer.AnalyzerStage;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.TopicAdmin;
import io.sessionflow.ingest.IngestConfig;
import io.sessionflow.purger.PurgerConfig;
import io.sessionflow.purger.PurgerStage;
import io.sessionflow.transcriber.TranscriberConfig;
import io.sessionflow.transcriber.TranscriberStage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Kubernetes manifests, offline: both overlays render with kustomize and every resource passes
 * the Kubernetes, KEDA, prometheus-operator and Strimzi schemas, the workload policies and the
 * reference checks ({@code k8s/validate}); a broken manifest fails them; and the manifests agree
 * with the code (topics, settings, Kafka users and consumer groups, ports, the image's user).
 */
class KubernetesManifestsIT {
  private static final Path K8S = Path.of("..", "k8s").toAbsolutePath().normalize();
  private static final Path DOCKERFILE = Path.of("..", "docker", "Dockerfile").toAbsolutePath().normalize();
  private static final List<String> OVERLAYS = List.of("dev", "production");
  private static final Map<String, List<Setting<?>>> STAGE_SETTINGS = Map.of(
      "ingest", IngestConfig.SETTINGS, "transcriber", TranscriberConfig.SETTINGS,
      "analyzer", AnalyzerConfig.SETTINGS, "purger", PurgerConfig.SETTINGS);
  /** Read by the JVM itself, not by a stage's settings. */
  private static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS");

  private static NodeTool validator;
  private static String report;
  private static Map<String, List<JsonObject>> rendered;

  @BeforeAll
  static void renderAndValidate(@TempDir Path work) throws Exception {
    validator = new NodeTool(K8S.resolve("validate")).install("kubernetes-models");
    Path json = work.resolve("rendered.json");
    List<String> args = new ArrayList<>(List.of("--json", json.toString()));
    OVERLAYS.forEach(o -> args.add(K8S.resolve("overlays").resolve(o).toString()));
    NodeTool.Result result = validator.nodeResult("validate.mjs", args.toArray(String[]::new));
    if (result.exitCode() == 2 && result.output().contains("cannot render the overlays")
        && !"true".equals(System.getenv("CI"))) {
      Assumptions.abort("no kustomize here (kubectl with kustomize v4+, or kustomize): " + result.output().trim());
    }
    assertThat(result.exitCode()).as(result.output()).isZero();
    report = result.output();
    JsonObject all = new JsonObject(Files.readString(json));
    rendered = new HashMap<>();
    for (String overlay : OVERLAYS) {
      JsonArray docs = all.getJsonArray(K8S.resolve("overlays").resolve(overlay).toString());
      rendered.put(overlay, docs.stream().map(JsonObject.class::cast).toList());
    }
  }

  @Test
  void everyOverlayRendersAndEveryResourceIsValid() {
    System.out.print(report);
    for (String overlay : OVERLAYS) {
      assertThat(report).containsPattern("ok .*overlays/" + overlay + ": \\d+ resources valid");
      assertThat(kinds(overlay)).contains("Deployment", "Service", "Ingress", "HorizontalPodAutoscaler",
          "PodDisruptionBudget", "ScaledObject", "TriggerAuthentication", "Kafka", "KafkaNodePool", "KafkaTopic",
          "KafkaUser", "NetworkPolicy", "ServiceMonitor", "PrometheusRule", "ServiceAccount", "ConfigMap");
      assertThat(all(overlay, "Deployment")).extracting(d -> d.getJsonObject("metadata").getString("name"))
          .containsExactlyInAnyOrder("sessionflow-ingest", "sessionflow-transcriber", "sessionflow-analyzer",
              "sessionflow-purger");
    }
    assertThat(all("production", "Secret")).isEmpty();
  }

  static Stream<Arguments> brokenManifests() {
    return Stream.of(
        broken("a wrong type", "base/ingest.yaml", "  revisionHistoryLimit: 5", "  revisionHistoryLimit: five",
            "Deployment/sessionflow-ingest: spec.revisionHistoryLimit must be integer"),
        broken("an unknown Strimzi field", "base/kafka/topics.yaml", "  partitions: 1\n", "  partitons: 1\n",
            "KafkaTopic/sessionflow-audit: spec: unknown field 'partitons'"),
        broken("a writable root filesystem", "base/analyzer.yaml", "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
            "Deployment/sessionflow-analyzer: containers.analyzer.securityContext.readOnlyRootFilesystem: must be"),
        broken("scratch space on the node's disk", "base/ingest.yaml", "            medium: Memory",
            "            medium: \"\"", "Deployment/sessionflow-ingest: volumes.tmp: an emptyDir must be in memory"),
        broken("a missing ConfigMap", "base/purger.yaml", "                name: sessionflow-purger",
            "                name: sessionflow-purgr",
            "Deployment/sessionflow-purger: containers.purger.envFrom: ConfigMap 'sessionflow-purgr' is not in"),
        broken("an inlined secret", "base/analyzer.yaml", "            - name: KAFKA_SASL_PASSWORD",
            "            - name: KAFKA_SASL_PASSWORD\n              value: hunter2\n            - name: UNUSED",
            "containers.analyzer.env.KAFKA_SASL_PASSWORD: a secret value written inline"),
        broken("an ACL on a topic that does not exist", "base/kafka/users.yaml", "name: sessionflow.audio.purged",
            "name: sessionflow.audio.purge",
            "KafkaUser/sessionflow-ingest: acls: topic 'sessionflow.audio.purge' is not a KafkaTopic"),
        broken("a kustomization naming a missing file", "base/kustomization.yaml", "  - purger.yaml",
            "  - purgers.yaml", "ERROR"));
  }

  private static Arguments broken(String what, String file, String from, String to, String expected) {
    return Arguments.of(what, file, from, to, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenManifests")
  void aBrokenManifestFailsValidation(String what, String file, String from, String to, String expected,
      @TempDir Path copy) throws Exception {
    for (String dir : List.of("base", "monitoring", "overlays")) {
      copyTree(K8S.resolve(dir), copy.resolve(dir));
    }
    Path target = copy.resolve(file);
    String text = Files.readString(target);
    assertThat(text).as(what + ": the text to break").contains(from);
    Files.writeString(target, text.replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to)));

    NodeTool.Result result = validator.nodeResult("validate.mjs", copy.resolve("overlays/production").toString());

    assertThat(result.exitCode()).as(result.output()).isEqualTo(expected.equals("ERROR") ? 2 : 1);
    assertThat(result.output()).contains(expected);
  }

  @Test
  void topicsAreTheOnesTheStagesWouldCreate() {
    for (String overlay : OVERLAYS) {
      Map<String, JsonObject> topics = all(overlay, "KafkaTopic").stream()
          .collect(Collectors.toMap(t -> t.getJsonObject("spec").getString("topicName"), t -> t.getJsonObject("spec")));
      assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(
          Stream.of(Topic.values()).map(Topic::topicName).toList());
      for (Topic topic : Topic.values()) {
        JsonObject spec = topics.get(topic.topicName());
        short replicas = spec.getInteger("replicas").shortValue();
        Map<String, String> config = new HashMap<>();
        spec.getJsonObject("config").forEach(e -> config.put(e.getKey(), String.valueOf(e.getValue())));
        assertThat(config).as(overlay + " " + topic).isEqualTo(TopicAdmin.topicConfig(topic, replicas));
        if (topic == Topic.AUDIT) {
          assertThat(spec.getInteger("partitions")).as("one total order for the audit chain").isEqualTo(1);
        }
      }
    }
  }

  @Test
  void everyVariableIsASettingOfItsStageAndEveryRequiredOneIsSet() {
    for (String overlay : OVERLAYS) {
      for (JsonObject deployment : all(overlay, "Deployment")) {
        String stage = component(deployment);
        Set<String> known = STAGE_SETTINGS.get(stage).stream().map(Setting::env).collect(Collectors.toSet());
        Map<String, String> variables = variables(overlay, deployment);
        assertThat(variables.keySet()).as(overlay + " " + stage + ": variables no setting reads")
            .allMatch(v -> known.contains(v) || JVM_VARIABLES.contains(v));
        for (Setting<?> setting : STAGE_SETTINGS.get(stage)) {
          if (setting.isRequired()) {
            assertThat(variables).as(overlay + " " + stage + " must set " + setting.env()).containsKey(setting.env());
          }
        }
        int port = stage.equals("ingest") ? Integer.parseInt(variables.getOrDefault("HTTP_PORT", "8080"))
            : Integer.parseInt(variables.getOrDefault("OPS_PORT", "8081"));
        assertThat(container(deployment).getJsonArray("ports").getJsonObject(0).getInteger("containerPort"))
            .as(overlay + " " + stage + " serves /health and /metrics there").isEqualTo(port);
      }
    }
  }

  @Test
  void prometheusScrapesTheIngestOnItsOpsPortNotItsApiPort() {
    for (String overlay : OVERLAYS) {
      JsonObject deployment = all(overlay, "Deployment").stream().filter(d -> component(d).equals("ingest"))
          .findFirst().orElseThrow();
      int opsPort = Integer.parseInt(variables(overlay, deployment).getOrDefault("OPS_PORT", "8081"));
      assertThat(container(deployment).getJsonArray("ports").stream().map(JsonObject.class::cast)
          .filter(p -> "ops".equals(p.getString("name"))).map(p -> p.getInteger("containerPort")))
          .as(overlay + " ingest serves unauthenticated /metrics on OPS_PORT").containsExactly(opsPort);
      JsonObject monitor = all(overlay, "ServiceMonitor").stream()
          .filter(m -> m.getJsonObject("metadata").getString("name").equals("sessionflow-ingest")).findFirst()
          .orElseThrow();
      assertThat(monitor.getJsonObject("spec").getJsonArray("endpoints").stream().map(JsonObject.class::cast)
          .map(e -> e.getString("port"))).as(overlay).containsExactly("ops");
    }
  }

  @Test
  void eachStageHasItsOwnKafkaUserWithItsConsumerGroup() {
    Map<String, String> groups = Map.of("transcriber", TranscriberStage.GROUP, "analyzer", AnalyzerStage.GROUP,
        "purger", PurgerStage.GROUP);
    for (String overlay : OVERLAYS) {
      Map<String, JsonObject> users = all(overlay, "KafkaUser").stream()
          .collect(Collectors.toMap(u -> u.getJsonObject("metadata").getString("name"), u -> u));
      Set<String> usersTaken = new HashSet<>();
      for (JsonObject deployment : all(overlay, "Deployment")) {
        String stage = component(deployment);
        Map<String, String> variables = variables(overlay, deployment);
        String user = variables.get("KAFKA_SASL_USERNAME");
        assertThat(users).as(overlay + " " + stage).containsKey(user);
        assertThat(usersTaken.add(user)).as("one user per stage: " + user).isTrue();
        String group = stage.equals("ingest") ? variables.get("KAFKA_CLIENT_ID") + "-replay-" : groups.get(stage);
        assertThat(acls(users.get(user))).as(overlay + " " + stage + " reads its group")
            .contains("group " + group + " Read");
      }
      JsonObject trigger = all(overlay, "ScaledObject").get(0).getJsonObject("spec").getJsonArray("triggers")
          .getJsonObject(0).getJsonObject("metadata");
      assertThat(trigger.getString("consumerGroup")).isEqualTo(TranscriberStage.GROUP);
      assertThat(trigger.getString("topic")).isEqualTo(Topic.RECORDING_STORED.topicName());
      assertThat(acls(users.get("sessionflow-keda")))
          .containsExactlyInAnyOrder("topic " + Topic.RECORDING_STORED.topicName() + " Describe",
              "group " + TranscriberStage.GROUP + " Describe");
    }
  }

  @Test
  void imagesArePinnedAndRunAsThePodsUser() throws IOException {
    List<String> lines = Files.readAllLines(DOCKERFILE);
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms).hasSizeGreaterThanOrEqualTo(4);
    for (String from : froms) {
      String image = from.split("\\s+")[1];
      assertThat(image).as(from).matches("[a-z0-9./-]+:[0-9][A-Za-z0-9._-]*").doesNotEndWith(":latest");
    }
    Set<String> stageNames = froms.stream().filter(f -> f.contains(" AS ")).map(f -> f.replaceAll(".* AS ", ""))
        .collect(Collectors.toSet());
    assertThat(stageNames).contains("build", "native", "jvm-stage", "transcriber");
    for (String target : List.of("jvm-stage", "transcriber")) {
      List<String> section = section(lines, target);
      assertThat(section).as(target).contains("USER 10001:10001");
      assertThat(section.stream().filter(l -> l.startsWith("ENTRYPOINT")).findFirst()).isPresent();
    }
    assertThat(String.join("\n", section(lines, "transcriber")))
        .contains("ENV WHISPER_LIBRARY_DIR=/opt/whisper VAD_MODEL=/opt/vad/silero_vad.onnx")
        .contains("COPY --from=native /opt/whisper/").contains("COPY --from=native /opt/vad/");
    // Maven reads every module of the reactor, so the build stage has each one (or its pom).
    String build = String.join("\n", section(lines, "build"));
    for (String module : Files.readString(K8S.resolveSibling("pom.xml")).split("<module>")) {
      if (module.contains("</module>")) {
        String name = module.substring(0, module.indexOf("</module>"));
        assertThat(build).as("the build stage copies module " + name)
            .containsAnyOf("COPY " + name + "/ " + name + "/", "COPY " + name + "/pom.xml " + name + "/pom.xml");
      }
    }
    // The CUDA build comes from the same pinned, integrity-checked source as the Maven build: no clone.
    assertThat(String.join("\n", section(lines, "native")))
        .contains("transcriber/native/build.sh").contains("transcriber/native/whisper.cpp.source")
        .contains("bash native/build.sh --cuda")
        .contains("bash native/vad-model.sh --out /opt/vad")
        .contains("CUDA_ARCHITECTURES=\"75;80;86;89;90\"").doesNotContain("git clone");
    for (String overlay : OVERLAYS) {
      for (JsonObject deployment : all(overlay, "Deployment")) {
        assertThat(deployment.getJsonObject("spec").getJsonObject("template").getJsonObject("spec")
            .getJsonObject("securityContext").getInteger("runAsUser")).isEqualTo(10001);
      }
    }
  }

  @Test
  void iamPoliciesGiveEachStageOnlyWhatItUses() throws IOException {
    Map<String, JsonObject> policies = new HashMap<>();
    for (String stage : STAGE_SETTINGS.keySet()) {
      JsonObject policy = new JsonObject(Files.readString(K8S.resolve("iam").resolve(stage + "-policy.json")));
      for (Object statement : policy.getJsonArray("Statement")) {
        JsonObject st = (JsonObject) statement;
        assertThat(st.getString("Effect")).isEqualTo("Allow");
        assertThat(strings(st.getValue("Action"))).as(stage + " " + st.getString("Sid"))
            .noneMatch(a -> a.equals("*") || a.endsWith(":*"));
        assertThat(strings(st.getValue("Resource"))).as(stage + " " + st.getString("Sid")).doesNotContain("*");
      }
      policies.put(stage, policy);
    }
    String raw = "arn:aws:s3:::sessionflow-prod-data/raw/REC";
    String key = "arn:aws:s3:::sessionflow-prod-keys/keys/REC.audio";
    assertThat(allowedTo(policies, "s3:PutObject", raw)).containsExactly("ingest");
    assertThat(allowedTo(policies, "s3:DeleteObjectVersion", raw)).containsExactly("purger");
    assertThat(allowedTo(policies, "s3:DeleteObjectVersion", key)).containsExactlyInAnyOrder("purger", "ingest");
    assertThat(allowedTo(policies, "s3:GetObject", raw)).doesNotContain("analyzer");
    assertThat(allowedTo(policies, "kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:key/"
        + "1234abcd-12ab-34cd-56ef-1234567890ab")).as("the purger never unwraps a key")
        .containsExactlyInAnyOrder("ingest", "transcriber", "analyzer");
    assertThat(allowedTo(policies, "s3:PutObject", "arn:aws:s3:::sessionflow-prod-data/audit/chain/000000000001.json"))
        .containsExactly("purger");
    // Keys are created by ingest alone: the stages after it only load them, so none can re-key a deleted recording.
    assertThat(allowedTo(policies, "kms:Encrypt", "arn:aws:kms:eu-west-1:111122223333:key/"
        + "1234abcd-12ab-34cd-56ef-1234567890ab")).containsExactly("ingest");
    assertThat(allowedTo(policies, "s3:PutObject", "arn:aws:s3:::sessionflow-prod-keys/keys/REC.data.dek"))
        .containsExactly("ingest");
    // A stage takes back what it wrote for a recording deleted meanwhile.
    assertThat(allowedTo(policies, "s3:DeleteObject", "arn:aws:s3:::sessionflow-prod-data/transcripts/REC.json"))
        .containsExactlyInAnyOrder("transcriber", "purger");
    assertThat(allowedTo(policies, "s3:DeleteObject", "arn:aws:s3:::sessionflow-prod-data/analyses/REC.json"))
        .containsExactlyInAnyOrder("analyzer", "purger");
    assertThat(allowedTo(policies, "s3:PutObject", "arn:aws:s3:::sessionflow-prod-data/deletions/watch/REC"))
        .containsExactly("purger");
    assertThat(allowedTo(policies, "s3:DeleteObjectVersion", "arn:aws:s3:::sessionflow-prod-data/owners/REC"))
        .containsExactly("purger");
    // The stages read the client's consent by id before they act on a recording; they never write one.
    String consentKey = "arn:aws:s3:::sessionflow-prod-data/consents/PRAC/CONS.json";
    assertThat(allowedTo(policies, "s3:GetObject", consentKey)).contains("transcriber", "analyzer");
    assertThat(allowedTo(policies, "s3:PutObject", consentKey)).containsExactlyInAnyOrder("ingest", "purger");
    assertThat(allowedTo(policies, "s3:GetObject", "arn:aws:s3:::sessionflow-prod-data/owners/REC"))
        .contains("analyzer");

    JsonObject bucketPolicy = new JsonObject(Files.readString(K8S.resolve("iam").resolve("key-bucket-policy.json")));
    JsonObject onlyPipeline = bucketPolicy.getJsonArray("Statement").getJsonObject(0);
    assertThat(onlyPipeline.getString("Effect")).isEqualTo("Deny");
    Set<String> roles = Set.copyOf(strings(onlyPipeline.getJsonObject("Condition").getJsonObject("ArnNotEquals")
        .getValue("aws:PrincipalArn")));
    Set<String> annotated = all("production", "ServiceAccount").stream()
        .map(sa -> sa.getJsonObject("metadata").getJsonObject("annotations").getString("eks.amazonaws.com/role-arn"))
        .collect(Collectors.toSet());
    assertThat(annotated).as("each stage's service account has its own role, the ones the key bucket admits")
        .hasSize(4).isEqualTo(roles);
  }

  /** The stages whose policy allows {@code action} on {@code resource}. */
  private static Set<String> allowedTo(Map<String, JsonObject> policies, String action, String resource) {
    Set<String> stages = new HashSet<>();
    policies.forEach((stage, policy) -> {
      for (Object statement : policy.getJsonArray("Statement")) {
        JsonObject st = (JsonObject) statement;
        if (strings(st.getValue("Action")).stream().anyMatch(a -> glob(a, action))
            && strings(st.getValue("Resource")).stream().anyMatch(r -> glob(r, resource))) {
          stages.add(stage);
        }
      }
    });
    return stages;
  }

  private static boolean glob(String pattern, String value) {
    return value.matches(Pattern.quote(pattern).replace("*", "\\E.*\\Q"));
  }

  private static List<String> strings(Object value) {
    return value instanceof JsonArray array ? array.stream().map(String::valueOf).toList() : List.of((String) value);
  }

  private static List<JsonObject> all(String overlay, String kind) {
    return rendered.get(overlay).stream().filter(d -> kind.equals(d.getString("kind"))).toList();
  }

  private static Set<String> kinds(String overlay) {
    return rendered.get(overlay).stream().map(d -> d.getString("kind")).collect(Collectors.toSet());
  }

  private static String component(JsonObject deployment) {
    return deployment.getJsonObject("metadata").getJsonObject("labels").getString("app.kubernetes.io/component");
  }

  private static JsonObject container(JsonObject deployment) {
    return deployment.getJsonObject("spec").getJsonObject("template").getJsonObject("spec")
        .getJsonArray("containers").getJsonObject(0);
  }

  /** The environment a stage's container gets: its ConfigMaps' keys and its own variables (literal or referenced). */
  private static Map<String, String> variables(String overlay, JsonObject deployment) {
    JsonObject container = container(deployment);
    Map<String, String> variables = new HashMap<>();
    for (Object from : container.getJsonArray("envFrom", new JsonArray())) {
      String name = ((JsonObject) from).getJsonObject("configMapRef").getString("name");
      JsonObject configMap = all(overlay, "ConfigMap").stream()
          .filter(c -> name.equals(c.getJsonObject("metadata").getString("name"))).findFirst().orElseThrow();
      configMap.getJsonObject("data").forEach(e -> variables.put(e.getKey(), String.valueOf(e.getValue())));
    }
    for (Object env : container.getJsonArray("env", new JsonArray())) {
      JsonObject variable = (JsonObject) env;
      variables.put(variable.getString("name"), variable.getString("value", "(referenced)"));
    }
    return variables;
  }

  private static List<String> acls(JsonObject user) {
    List<String> acls = new ArrayList<>();
    for (Object entry : user.getJsonObject("spec").getJsonObject("authorization").getJsonArray("acls")) {
      JsonObject acl = (JsonObject) entry;
      JsonObject resource = acl.getJsonObject("resource");
      for (Object operation : acl.getJsonArray("operations")) {
        acls.add(resource.getString("type") + " " + resource.getString("name") + " " + operation);
      }
    }
    return acls;
  }

  private static List<String> section(List<String> lines, String target) {
    int start = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("FROM ") && lines.get(i).endsWith(" AS " + target)) {
        start = i;
      } else if (start >= 0 && lines.get(i).startsWith("FROM ")) {
        return lines.subList(start, i);
      }
    }
    assertThat(start).as("a FROM ... AS " + target).isNotNegative();
    return lines.subList(start, lines.size());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : paths.toList()) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.copy(path, target);
        }
      }
    }
  }
}
