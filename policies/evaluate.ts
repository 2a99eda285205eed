/**
 * Offline evaluation of the pack over a plan's resources.json: builds the same argument objects the
 * @pulumi/policy analyzer server builds (ResourceValidationArgs per resource, StackValidationArgs once)
 * and calls the policies' own validateResource / validateStack functions, resolving enforcement levels
 * the way the server does (policy config > "all" > the policy's level > the pack's level).
 */
import {
  EnforcementLevel,
  Policies,
  Policy,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/** One entry of resources.json as `npm run plan` writes it (DEVELOPERS.md, plan contract). */
export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

/** The --policy-pack-config format: a level, or { enforcementLevel?, ...properties }, per policy or "all". */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  message: string;
  /** The resource in violation; absent when a stack policy blames the stack as a whole. */
  urn?: string;
}

export interface Evaluation {
  policies: number;
  resources: number;
  violations: Violation[];
  mandatory: number;
  notApplicable: { policy: string; reason: string }[];
}

export interface EvaluateOptions {
  config?: PackConfig;
  /** The pack-level default (PolicyPackArgs.enforcementLevel in index.ts). */
  packLevel?: EnforcementLevel;
  /** resources.json masks secrets as "[secret]": tell policies that read `secretsMasked` from their config. */
  secretsMasked?: boolean;
  stackTags?: ReadonlyMap<string, string>;
}

const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function entry(config: PackConfig | undefined, key: string): { enforcementLevel?: EnforcementLevel } & Record<string, unknown> {
  const v = config?.[key];
  if (v === undefined) return {};
  return typeof v === "string" ? { enforcementLevel: v } : v;
}

/** Validates a pack config file's shape, naming the bad key. */
export function checkPackConfig(config: unknown, policyNames: string[]): PackConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config))
    throw new Error("policy config must be a JSON object of policy name (or \"all\") to level or settings");
  for (const [k, v] of Object.entries(config)) {
    if (k !== "all" && !policyNames.includes(k)) throw new Error(`policy config key "${k}" is not a policy of the pack (${policyNames.join(", ")})`);
    const level = typeof v === "string" ? v : (v as Record<string, unknown>)?.enforcementLevel;
    if (level !== undefined && !LEVELS.includes(level as EnforcementLevel))
      throw new Error(`policy config "${k}": enforcementLevel must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(level)}`);
  }
  return config as PackConfig;
}

export function resolveLevel(p: Policy, config?: PackConfig, packLevel: EnforcementLevel = "advisory"): EnforcementLevel {
  const level = entry(config, p.name).enforcementLevel ?? entry(config, "all").enforcementLevel ?? p.enforcementLevel ?? packLevel;
  // As the analyzer server does: a violation left after remediation is reported as mandatory.
  return level === "remediate" ? "mandatory" : level;
}

function getConfigFor(p: Policy, opts: EvaluateOptions): () => Record<string, unknown> {
  const { enforcementLevel: _ignored, ...props } = entry(opts.config, p.name);
  const extra = opts.secretsMasked && p.configSchema?.properties?.secretsMasked && props.secretsMasked === undefined ? { secretsMasked: true } : {};
  return () => ({ ...extra, ...props });
}

class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "not applicable");
};

function options(r: PlanResource): PolicyResourceOptions {
  const o: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
  if (r.parent) o.parent = r.parent;
  return o;
}

/** Same test as the SDK's isTypeOf: generated resource classes carry their type token as __pulumiType. */
function isTypeOf(type: string, cls: unknown): boolean {
  return (cls as { __pulumiType?: string })?.__pulumiType === type;
}

function resourceArgs(r: PlanResource, getConfig: () => Record<string, unknown>, stackTags: ReadonlyMap<string, string>): ResourceValidationArgs {
  return {
    type: r.type,
    props: r.inputs ?? {},
    urn: r.urn,
    name: r.name,
    opts: options(r),
    stackTags,
    isType: (cls) => isTypeOf(r.type, cls),
    asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? r.inputs : undefined)) as ResourceValidationArgs["asType"],
    getConfig: getConfig as ResourceValidationArgs["getConfig"],
    notApplicable,
  };
}

/** PolicyResource objects with parent links resolved, as analyzeStack builds them. */
export function stackResources(resources: readonly PlanResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const out = resources.map((r) => {
    const pr: PolicyResource = {
      type: r.type,
      props: r.inputs ?? {},
      urn: r.urn,
      name: r.name,
      opts: options(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? r.inputs : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, pr);
    return pr;
  });
  resources.forEach((r, i) => {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (parent) out[i].parent = parent;
  });
  return out;
}

export async function evaluate(policies: Policies, resources: readonly PlanResource[], opts: EvaluateOptions = {}): Promise<Evaluation> {
  const violations: Violation[] = [];
  const skipped: { policy: string; reason: string }[] = [];
  const stackTags = opts.stackTags ?? new Map<string, string>();
  const stack = stackResources(resources);
  for (const p of policies) {
    const level = resolveLevel(p, opts.config, opts.packLevel);
    if (level === "disabled") continue;
    const getConfig = getConfigFor(p, opts);
    const run = async (urn: string | undefined, fn: (report: (message: string, urn?: string) => void) => unknown) => {
      try {
        await fn((message, blamed) => violations.push({ policy: p.name, level, message, urn: blamed ?? urn }));
      } catch (e) {
        if (e instanceof NotApplicable) skipped.push({ policy: p.name, reason: e.reason });
        // The CLI fails the whole preview when a policy throws; here it is a mandatory violation.
        else violations.push({ policy: p.name, level: "mandatory", urn, message: `policy threw: ${(e as Error).stack ?? e}` });
      }
    };
    const rp = p as ResourceValidationPolicy;
    if (rp.validateResource) {
      const fns: ResourceValidation[] = Array.isArray(rp.validateResource) ? rp.validateResource : [rp.validateResource];
      for (const r of resources)
        for (const fn of fns) await run(r.urn, (report) => fn(resourceArgs(r, getConfig, stackTags), report));
    }
    const sp = p as StackValidationPolicy;
    if (typeof sp.validateStack === "function") {
      const args: StackValidationArgs = { resources: stack, stackTags, getConfig: getConfig as StackValidationArgs["getConfig"], notApplicable };
      await run(undefined, (report) => sp.validateStack(args, report));
    }
  }
  return {
    policies: policies.length,
    resources: resources.length,
    violations,
    mandatory: violations.filter((v) => v.level === "mandatory").length,
    notApplicable: skipped,
  };
}

/** Reads and checks resources.json, naming the first bad entry and field. */
export function parseResources(text: string, source: string): PlanResource[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Error(`${source} must hold a JSON array of {urn, type, name, parent, inputs}`);
  data.forEach((r, i) => {
    const bad = (field: string, want: string) => new Error(`${source}[${i}].${field} must be ${want}`);
    if (typeof r !== "object" || r === null) throw new Error(`${source}[${i}] must be an object`);
    for (const f of ["urn", "type", "name"]) if (typeof r[f] !== "string" || r[f] === "") throw bad(f, "a non-empty string");
    if (r.parent !== null && r.parent !== undefined && typeof r.parent !== "string") throw bad("parent", "a URN string or null");
    if (r.inputs !== undefined && (typeof r.inputs !== "object" || r.inputs === null || Array.isArray(r.inputs))) throw bad("inputs", "an object");
  });
  return (data as PlanResource[]).map((r) => ({ ...r, parent: r.parent ?? null, inputs: r.inputs ?? {} }));
}
