// Checks every object given as a JSON array on stdin against the published schema of its kind (kubernetes-models
// for Kubernetes' own kinds, @kubernetes-models/istio for Istio's) and prints one result per object as a JSON
// array: {"kind", "name", "valid", "error"}. An object whose kind has no schema here is reported as not valid.
import { readFileSync } from "node:fs";

const objects = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const object of objects) {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : [null, object.apiVersion];
  const module = !group
    ? `kubernetes-models/${version}/${object.kind}`
    : group.endsWith(".istio.io")
      ? `@kubernetes-models/istio/${group}/${version}/${object.kind}`
      : `kubernetes-models/${group}/${version}/${object.kind}`;
  const result = { kind: object.kind, name: object.metadata?.name ?? null, valid: false, error: null };
  try {
    const { [object.kind]: Model } = await import(module);
    new Model(object).validate();
    result.valid = true;
  } catch (error) {
    result.error = `${module}: ${error.message}`;
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
