/**
 * The offline plan: runs the real program for a stack under Pulumi mocks and collects what `pulumi up` would
 * create — every resource with its parent and inputs, and every file the components render.
 * `npm run plan` (tools/plan.ts) writes the result; tests call runPlan() directly.
 */
import * as path from "path";
import { configFromRuntime, parseConfig } from "../../config/parse";
import { JitsiConfig } from "../../config/schema";
import { PeerStackOutputs, PlanMocks } from "./mocks";
import { plainInputs } from "./serialize";
import { readStackFiles } from "./stack-config";

export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string | null;
  readonly inputs: unknown;
}

export interface PlannedFile {
  readonly region: string;
  readonly component: string;
  readonly path: string;
  readonly content: string;
}

export interface PlanResult {
  readonly stack: string;
  readonly config: JitsiConfig;
  readonly resources: PlannedResource[];
  readonly files: PlannedFile[];
  /** Fake secret values the mocks generated: none may appear in any written file. */
  readonly secretValues: string[];
  readonly seconds: number;
}

export interface PlanOptions {
  /** Folder holding Pulumi.yaml and Pulumi.<stack>.yaml. @default the repository root */
  readonly root?: string;
  readonly stack: string;
  /** Outputs of peer stacks for `pulumi.StackReference` (stack-per-region mode). */
  readonly peerStackOutputs?: PeerStackOutputs;
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Validates the stack config without running anything (throws ConfigError). */
export function loadStackConfig(root: string, stack: string): { project: string; runtime: Record<string, string>; config: JitsiConfig } {
  const files = readStackFiles(root, stack);
  return { project: files.project, runtime: files.config, config: parseConfig(configFromRuntime(files.config)) };
}

export async function runPlan(opts: PlanOptions): Promise<PlanResult> {
  const started = process.hrtime.bigint();
  const root = opts.root ?? REPO_ROOT;
  // Config errors surface here, before any resource exists.
  const { project, runtime: runtimeConfig, config } = loadStackConfig(root, opts.stack);

  // Pulumi's runtime is imported only now, and the program after the mocks are in place.
  const pulumi = await import("@pulumi/pulumi");
  const settings = await import("@pulumi/pulumi/runtime/settings");
  // Stack-per-region mode: peers' outputs come from their own config files unless the caller gives them.
  const peerOutputs = opts.peerStackOutputs ?? (await import("./peer-stacks")).mockPeerStackOutputs(root, config.peerStacks);
  const mocks = new PlanMocks(config.regions[0].name, peerOutputs);
  // Offline there is no engine to show source positions to: skip the per-resource unlimited stack trace,
  // which ts-node's source-map support makes the slowest part of a plan.
  (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites = () => [];
  pulumi.runtime.setAllConfig(runtimeConfig);
  await pulumi.runtime.setMocks(mocks, project, opts.stack, false);

  const resources: PlannedResource[] = [];
  type Callback = (err: unknown, resp?: { getUrn(): string }) => void;
  const monitor = settings.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: Callback): void;
    readResource(req: ReadRequest, cb: Callback): void;
  };
  // Every resource the engine accepts is recorded with its parent: created ones (registerResource) and
  // read ones (readResource: StackReferences).
  const recording =
    (req: ResourceRequest, props: () => Record<string, unknown>, cb: Callback): Callback =>
    (err, resp) => {
      if (!err && resp)
        resources.push({ urn: resp.getUrn(), type: req.getType(), name: req.getName(), parent: req.getParent() || null, inputs: plainInputs(props()) });
      cb(err, resp);
    };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => register(req, recording(req, () => req.getObject()?.toJavaScript() ?? {}, cb));
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, cb) => read(req, recording(req, () => req.getProperties()?.toJavaScript() ?? {}, cb));

  const files: PlannedFile[] = [];
  const { setRenderedFileSink } = await import("../../components/rendered-files");
  setRenderedFileSink((f) => files.push(f));
  // Pulumi records a stack trace on every internal promise (for leak reports); under ts-node each one is
  // source-mapped, which dominated plan time. Offline, a short trace is enough to read an error.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 3;
  try {
    const { jitsiProgram } = await import("../../stacks/program");
    await pulumi.runtime.runInPulumiStack(async () => (await jitsiProgram(config)).peers);
    // waitForRPCs is internal to @pulumi/pulumi (not in its typings): wait until every registration settled.
    await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    setRenderedFileSink(undefined);
  }

  const seen = new Set<string>();
  for (const r of resources) {
    // The mock monitor accepts duplicate URNs; the real engine rejects them, so the plan does too.
    if (seen.has(r.urn)) throw new Error(`duplicate resource URN: ${r.urn}`);
    seen.add(r.urn);
  }
  resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  files.sort((a, b) => `${a.region}/${a.component}/${a.path}`.localeCompare(`${b.region}/${b.component}/${b.path}`));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { stack: opts.stack, config, resources, files, secretValues: [...mocks.generatedSecrets], seconds };
}

interface ResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
}

interface ReadRequest extends ResourceRequest {
  getProperties(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface RegisterRequest extends ResourceRequest {
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
