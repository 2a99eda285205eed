/**
 * examples/yaml/Pulumi.yaml, the Pulumi YAML program using the components by type token, checked against
 * schema.json the way `pulumi preview` would bind it: every type exists, every property is an input of it (also
 * inside nested objects), every required input is given, every ${resource.output} names an output.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { shardEndpoint } from "../../config/naming";

const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(ROOT, "examples", "yaml");

interface Prop {
  type?: string;
  $ref?: string;
  items?: Prop;
  additionalProperties?: Prop;
}
interface Schema {
  resources: Record<string, { inputProperties: Record<string, Prop>; requiredInputs: string[]; properties: Record<string, Prop> }>;
  types: Record<string, { properties: Record<string, Prop>; required: string[] }>;
}
interface Program {
  packages?: Record<string, string>;
  config?: Record<string, unknown>;
  resources: Record<string, { type: string; properties: Record<string, unknown> }>;
  outputs?: Record<string, string>;
}

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8")) as Schema;
const program = parse(fs.readFileSync(path.join(EXAMPLE, "Pulumi.yaml"), "utf8")) as Program;
const isExpr = (v: unknown) => typeof v === "string" && /^\$\{[^}]+\}$/.test(v);

/** Problems of `value` against the schema property `p`, at `where`. Expressions are checked separately. */
function check(value: unknown, p: Prop, where: string): string[] {
  if (isExpr(value)) return [];
  if (p.$ref) {
    const t = schema.types[p.$ref.replace("#/types/", "")];
    if (!t) return [`${where}: unknown type ${p.$ref}`];
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${where}: expected an object`];
    const v = value as Record<string, unknown>;
    return [
      ...Object.keys(v).filter((k) => !(k in t.properties)).map((k) => `${where}.${k}: not a property of ${p.$ref}`),
      ...t.required.filter((k) => !(k in v)).map((k) => `${where}.${k}: required`),
      ...Object.entries(v).flatMap(([k, x]) => (t.properties[k] ? check(x, t.properties[k], `${where}.${k}`) : [])),
    ];
  }
  switch (p.type) {
    case "array":
      return Array.isArray(value) ? value.flatMap((x, i) => check(x, p.items ?? {}, `${where}[${i}]`)) : [`${where}: expected an array`];
    case "object":
      return typeof value === "object" && value !== null ? Object.entries(value).flatMap(([k, x]) => check(x, p.additionalProperties ?? {}, `${where}.${k}`)) : [`${where}: expected an object`];
    case "string":
      return typeof value === "string" ? [] : [`${where}: expected a string`];
    case "number":
    case "integer":
      return typeof value === "number" ? [] : [`${where}: expected a number`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${where}: expected a boolean`];
    default:
      return [];
  }
}

function expressions(v: unknown): string[] {
  if (typeof v === "string") return [...v.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]);
  if (Array.isArray(v)) return v.flatMap(expressions);
  if (v && typeof v === "object") return Object.values(v).flatMap(expressions);
  return [];
}

describe("examples/yaml: Pulumi YAML program using the components", () => {
  it("points its package source at this repository's plugin (PulumiPlugin.yaml)", () => {
    const src = program.packages?.jitsi;
    assert.ok(src, "packages.jitsi missing");
    assert.ok(fs.existsSync(path.join(EXAMPLE, src, "PulumiPlugin.yaml")));
  });

  it("uses only types and inputs the schema has, with every required input", () => {
    const problems: string[] = [];
    for (const [name, r] of Object.entries(program.resources)) {
      const res = schema.resources[r.type];
      if (!res) {
        problems.push(`${name}: ${r.type} is not in schema.json`);
        continue;
      }
      for (const req of res.requiredInputs) if (!(req in r.properties)) problems.push(`${name}.${req}: required by ${r.type}`);
      for (const [k, v] of Object.entries(r.properties)) {
        if (!res.inputProperties[k]) problems.push(`${name}.${k}: not an input of ${r.type}`);
        else problems.push(...check(v, res.inputProperties[k], `${name}.${k}`));
      }
    }
    assert.deepEqual(problems, []);
  });

  it("every ${resource.output} names a resource of the program and an output of its type", () => {
    const problems: string[] = [];
    const all = [...Object.values(program.resources).map((r) => r.properties), program.outputs ?? {}];
    for (const e of all.flatMap(expressions)) {
      const [head, ...rest] = e.split(".");
      if (rest.length === 0) {
        if (!program.config || !(head in program.config)) problems.push(`\${${e}}: no config or resource ${head}`);
        continue;
      }
      const r = program.resources[head];
      if (!r) problems.push(`\${${e}}: no resource ${head}`);
      else if (!schema.resources[r.type]?.properties[rest[0]]) problems.push(`\${${e}}: ${r.type} has no output ${rest[0]}`);
    }
    assert.deepEqual(problems, []);
  });

  it("its shard is the one a JitsiShard of that deployment creates (names and secret parameters)", () => {
    const shards = program.resources.bridges.properties.shards as unknown[];
    assert.deepEqual(shards, [shardEndpoint("acme", "eu-central-1", "eu-central-1-s1")]);
  });
});
