// Renders each Kustomize overlay and validates every resource in it, offline:
//   node validate.mjs [--json FILE] ../overlays/dev ../overlays/production
// Exit 0: all valid. Exit 1: a resource is invalid (each problem printed as KIND/NAME: PATH: WHAT).
// Exit 2: an overlay could not be rendered or no kustomize is installed.
// Checks: the Kubernetes, KEDA, prometheus-operator and Strimzi schemas (lib/schemas.mjs), the
// project's workload policies (lib/policies.mjs) and references between resources
// (lib/references.mjs). Secrets created outside the manifests are listed, one per line, in the
// overlay's provided-secrets.txt. --json writes the rendered resources of each overlay to FILE
// ({"OVERLAY_DIR": [resource, ...]}) for further checks.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { policyErrors } from "./lib/policies.mjs";
import { referenceErrors } from "./lib/references.mjs";
import { schemaErrors } from "./lib/schemas.mjs";

function kustomizeCommand() {
  const probe = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch {
      return null;
    }
  };
  const standalone = probe("kustomize", ["version"]);
  if (standalone !== null) {
    return ["kustomize", ["build"], standalone.trim()];
  }
  const kubectl = probe("kubectl", ["version", "--client"]);
  const version = kubectl?.match(/Kustomize Version: v(\d+)\.(\d+)\.(\d+)/);
  if (version && Number(version[1]) >= 4) {
    return ["kubectl", ["kustomize"], `kubectl's kustomize v${version[1]}.${version[2]}.${version[3]}`];
  }
  throw new Error(version
    ? `kubectl's kustomize is v${version[1]}.${version[2]}; the overlays need kustomize v4 or later`
    : "neither kustomize nor kubectl (with kustomize v4+) is installed");
}

function render(tool, dir) {
  const [cmd, args] = tool;
  try {
    return execFileSync(cmd, [...args, dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 << 20 });
  } catch (e) {
    const detail = String(e.stderr || e.message).trim().split("\n").slice(-3).join(" ");
    throw new Error(`kustomize build ${dir} failed: ${detail}`);
  }
}

function providedSecrets(dir) {
  const file = join(dir, "provided-secrets.txt");
  if (!existsSync(file)) {
    return [];
  }
  return readFileSync(file, "utf8").split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
}

async function validateOverlay(tool, dir) {
  const docs = [];
  const problems = [];
  for (const parsed of parseAllDocuments(render(tool, dir))) {
    if (parsed.errors.length > 0) {
      problems.push(`YAML: ${parsed.errors[0].message}`);
      continue;
    }
    const doc = parsed.toJS();
    if (doc !== null) {
      docs.push(doc);
    }
  }
  const label = (d) => `${d?.kind ?? "?"}/${d?.metadata?.name ?? "?"}`;
  for (const doc of docs) {
    for (const e of [...await schemaErrors(doc), ...policyErrors(doc)]) {
      problems.push(`${label(doc)}: ${e}`);
    }
  }
  for (const [doc, e] of referenceErrors(docs, providedSecrets(dir))) {
    problems.push(`${label(doc)}: ${e}`);
  }
  return { docs, problems };
}

async function main(args) {
  const jsonAt = args.indexOf("--json");
  const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  const dirs = jsonAt >= 0 ? args.filter((_, i) => i !== jsonAt && i !== jsonAt + 1) : args;
  if (dirs.length === 0 || (jsonAt >= 0 && !jsonFile)) {
    console.error("usage: node validate.mjs [--json FILE] OVERLAY_DIR...");
    return 2;
  }
  const rendered = {};
  let tool;
  try {
    tool = kustomizeCommand();
  } catch (e) {
    console.error(`cannot render the overlays: ${e.message}`);
    return 2;
  }
  let failed = false;
  for (const dir of dirs) {
    const name = relative(process.cwd(), dir) || dir;
    let result;
    try {
      result = await validateOverlay(tool, dir);
    } catch (e) {
      console.error(`ERROR ${name}: ${e.message}`);
      return 2;
    }
    rendered[dir] = result.docs;
    if (result.problems.length > 0) {
      failed = true;
      for (const p of result.problems) {
        console.log(`FAIL ${name}: ${p}`);
      }
    } else {
      const kinds = {};
      for (const d of result.docs) {
        kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
      }
      const summary = Object.entries(kinds).sort().map(([k, n]) => `${n} ${k}`).join(", ");
      console.log(`ok ${name}: ${result.docs.length} resources valid (${summary})`);
    }
  }
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify(rendered));
  }
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
