// Validates rendered Kubernetes objects against the official OpenAPI schemas
// (npm kubernetes-models@5; the prometheus-operator CRDs' schemas from
// @kubernetes-models/prometheus-operator for the ServiceMonitor). Usage: node validate_k8s.mjs <objects.json>...
// Each file holds a JSON array of objects. Exits 1 on any validation error
// and on a kind this script has no validator for.
import { readFileSync } from "node:fs";
import { basename } from "node:path";

import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const validators = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate_k8s.mjs <objects.json>...");
  process.exit(2);
}
let failures = 0;
let checked = 0;
const kinds = new Set();
for (const file of files) {
  const objects = JSON.parse(readFileSync(file, "utf8"));
  if (!Array.isArray(objects) || objects.length === 0) {
    console.error(`${file}: expected a non-empty JSON array of objects`);
    failures++;
    continue;
  }
  for (const obj of objects) {
    const key = `${obj.apiVersion}/${obj.kind}`;
    const where = `${basename(file)}: ${key} ${obj.metadata?.name}`;
    const Model = validators[key];
    if (!Model) {
      console.error(`${where}: no validator for this apiVersion/kind; add one to validate_k8s.mjs`);
      failures++;
      continue;
    }
    try {
      new Model(obj).validate();
      checked++;
      kinds.add(key);
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      failures++;
    }
  }
}
console.log(`validated ${checked} objects of ${kinds.size} kinds (${[...kinds].sort().join(", ")}); ` +
            `${failures} failure(s)`);
process.exit(failures === 0 ? 0 : 1);
