/**
 * jvb-drain: graceful scale-in of one video bridge, run ON the bridge host.
 *
 *   jvb-drain watch --group G --hook H --region R [options]   (systemd service for the life of the instance)
 *   jvb-drain now   --group G --hook H --region R [options]   (drain at once; for operators)
 *   jvb-drain await-in-service [--group G --launch-hook H --region R] [--imds-url U]
 *                                                             (ExecStartPre of the bridge: waits out a warm pool,
 *                                                              releasing the group's launching hook when named)
 *   jvb-drain initial-drain --region R [--imds-url U]         (prints true when the scaler reserved this bridge)
 *
 * `watch` polls instance metadata (IMDSv2) for the two signals that the instance is going away:
 *   - `autoscaling/target-lifecycle-state` = "Terminated": the group is terminating it and the terminating
 *     lifecycle hook holds it in Terminating:Wait;
 *   - `spot/instance-action`: a Spot interruption notice (EC2 reclaims the instance ~2 min later, jitsi-facts.md).
 * Either starts the same drain: POST /colibri/shutdown {"graceful-shutdown":"true"} on the loopback REST API
 * (the bridge takes no new conferences), poll /colibri/stats, RecordLifecycleActionHeartbeat while local
 * participants remain, and CompleteLifecycleAction(CONTINUE) exactly once when the last one left or at the cap
 * (maxDrainSeconds; for Spot the notice's deadline). At the cap with participants left, a "drain cut" is
 * reported (a JSON log line, event `jvb-drain-cut`).
 *
 * The decision is the pure `nextDrainAction`; `runDrain` is a bounded loop over injected collaborators (clock,
 * colibri client, lifecycle client), so tests run it in seconds against a fake bridge on loopback.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { spawnSync } from "child_process";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { BRIDGE_METRICS } from "../metrics/catalog";
import { publishMetricData, toMetricData } from "./metrics-batch";
import { DRAIN_TAG, parseDrainTag } from "../functions/bridge-scaler/protocol";
import {
  DRAIN_CUT_EVENT,
  capFor,
  Clock,
  ColibriClient,
  DrainConfig,
  drainModeChange,
  jsonLog,
  LifecycleClient,
  localParticipants,
  Log,
  realClock,
  runDrain,
  Termination,
} from "./jvb-drain-core";

// The decision and the loop live in jvb-drain-core.ts; this file holds the I/O adapters and the command line.
// Re-exported for other agents that share the lifecycle and metadata adapters (agents/jibri-status.ts).
export type { ColibriClient, LifecycleClient } from "./jvb-drain-core";

const TIMEOUT_MS = 5000;

/** The bridge's COLIBRI REST API (videobridge.apis.rest, loopback only; render/jvb-conf.ts). */
export function httpColibri(baseUrl: string): ColibriClient {
  return {
    async startGracefulShutdown() {
      const res = await fetch(`${baseUrl}/colibri/shutdown`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ "graceful-shutdown": "true" }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`POST /colibri/shutdown answered ${res.status}`);
    },
    async localParticipants() {
      const res = await fetch(`${baseUrl}/colibri/stats`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) throw new Error(`GET /colibri/stats answered ${res.status}`);
      return localParticipants((await res.json()) as Record<string, unknown>);
    },
    // Drain mode (videobridge.rest.drain, jvb Drain.java): GET /colibri/drain → {"drain": bool}; POST .../enable|disable.
    async drainMode() {
      const res = await fetch(`${baseUrl}/colibri/drain`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) throw new Error(`GET /colibri/drain answered ${res.status}`);
      const body = (await res.json()) as { drain?: unknown };
      if (typeof body.drain !== "boolean") throw new Error("GET /colibri/drain: no boolean 'drain' field");
      return body.drain;
    },
    async setDrainMode(on: boolean) {
      const res = await fetch(`${baseUrl}/colibri/drain/${on ? "enable" : "disable"}`, { method: "POST", signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) throw new Error(`POST /colibri/drain/${on ? "enable" : "disable"} answered ${res.status}`);
    },
  };
}

/** The scaler's drain tag on this instance (ec2:DescribeTags; the base host role allows it). */
export async function readDrainTag(ec2: EC2Client, instanceId: string): Promise<number | undefined> {
  const out = await ec2.send(
    new DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [instanceId] }, { Name: "key", Values: [DRAIN_TAG] }] }),
  );
  return parseDrainTag(out.Tags?.[0]?.Value);
}

/** Lifecycle calls for this instance; by InstanceId, so no lifecycle action token has to be carried around. */
export function asgLifecycle(client: AutoScalingClient, group: string, hook: string, instanceId: string): LifecycleClient {
  const ids = { AutoScalingGroupName: group, LifecycleHookName: hook, InstanceId: instanceId };
  return {
    async heartbeat() {
      await client.send(new RecordLifecycleActionHeartbeatCommand(ids));
    },
    async complete() {
      await client.send(new CompleteLifecycleActionCommand({ ...ids, LifecycleActionResult: "CONTINUE" }));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Instance metadata (IMDSv2 only: the launch template sets httpTokens=required)

export interface Imds {
  /** A metadata path's text, or undefined on 404 (e.g. no Spot notice). */
  get(path: string): Promise<string | undefined>;
}

export function httpImds(baseUrl: string): Imds {
  let token: { value: string; until: number } | undefined;
  const TTL_S = 300;
  async function currentToken(): Promise<string> {
    if (token && Date.now() < token.until) return token.value;
    const res = await fetch(`${baseUrl}/latest/api/token`, {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(TTL_S) },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`IMDS token request answered ${res.status}`);
    token = { value: await res.text(), until: Date.now() + (TTL_S - 30) * 1000 };
    return token.value;
  }
  return {
    async get(path: string) {
      const res = await fetch(`${baseUrl}/latest/meta-data/${path}`, {
        headers: { "X-aws-ec2-metadata-token": await currentToken() },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`IMDS ${path} answered ${res.status}`);
      return (await res.text()).trim();
    },
  };
}

/** One look at the metadata: a terminating lifecycle action or a Spot interruption notice, else undefined. */
export async function checkTermination(imds: Imds, nowMs: number): Promise<Termination | undefined> {
  const target = await imds.get("autoscaling/target-lifecycle-state");
  // "Warmed:Terminated": a running warm-pool instance is being removed; the same hook holds it.
  if (target === "Terminated" || target === "Warmed:Terminated") return { kind: "lifecycle" };
  const spot = await imds.get("spot/instance-action");
  if (spot === undefined) return undefined;
  let deadlineMs = nowMs + 120_000;
  try {
    const t = Date.parse((JSON.parse(spot) as { time?: string }).time ?? "");
    if (Number.isFinite(t)) deadlineMs = t;
  } catch {
    /* malformed notice: assume the documented two minutes */
  }
  return { kind: "spot", deadlineMs };
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

interface Options {
  group: string;
  hook: string;
  region: string;
  colibriUrl: string;
  imdsUrl: string;
  maxDrainSeconds: number;
  pollSeconds: number;
  heartbeatSeconds: number;
  watchSeconds: number;
  /** Stop watching after this long (0 = for the life of the instance; tests bound it). */
  watchLimitSeconds: number;
  /** How often the drain tag is mirrored into JVB's drain mode. */
  tagSeconds: number;
  instanceId?: string;
  /** The group's launching lifecycle hook (warm pool only): await-in-service completes it. */
  launchHook?: string;
  /** How long await-in-service lets cloud-init finish before a warm-pool instance is released to be stopped (0 = not at all). */
  cloudInitWaitSeconds: number;
}

const USAGE =
  "usage: jvb-drain watch|now --group NAME --hook NAME --region REGION [--max-drain-seconds 3600] [--poll-seconds 10]\n" +
  "         [--heartbeat-seconds 300] [--watch-seconds 5] [--tag-seconds 60] [--watch-limit-seconds 0] [--colibri-url http://127.0.0.1:8080]\n" +
  "         [--imds-url http://169.254.169.254] [--instance-id ID]\n" +
  "       jvb-drain await-in-service [--group NAME --launch-hook NAME --region REGION] [--cloud-init-wait-seconds 900]\n" +
  "         [--imds-url URL] [--watch-seconds 5] [--watch-limit-seconds 0]\n" +
  "       jvb-drain initial-drain --region REGION [--imds-url URL] [--instance-id ID]";

export function parseOptions(args: string[]): Options {
  const o: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i];
    if (!k.startsWith("--") || args[i + 1] === undefined) throw new Error(`bad argument "${k}"\n${USAGE}`);
    o[k.slice(2)] = args[i + 1];
  }
  const known = [
    "group", "hook", "region", "colibri-url", "imds-url", "max-drain-seconds", "poll-seconds", "heartbeat-seconds", "watch-seconds", "watch-limit-seconds",
    "tag-seconds", "instance-id", "launch-hook", "cloud-init-wait-seconds",
  ];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const num = (k: string, d: number, min: number): number => {
    const v = o[k] === undefined ? d : Number(o[k]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${k} must be a number >= ${min}, got "${o[k]}"`);
    return v;
  };
  return {
    group: o.group ?? "",
    hook: o.hook ?? "",
    region: o.region ?? "",
    colibriUrl: o["colibri-url"] ?? "http://127.0.0.1:8080",
    imdsUrl: o["imds-url"] ?? "http://169.254.169.254",
    maxDrainSeconds: num("max-drain-seconds", 3600, 0),
    pollSeconds: num("poll-seconds", 10, 0.01),
    heartbeatSeconds: num("heartbeat-seconds", 300, 0.01),
    watchSeconds: num("watch-seconds", 5, 0.01),
    watchLimitSeconds: num("watch-limit-seconds", 0, 0),
    // DescribeTags once a minute per bridge stays far below EC2's Describe* request rate even for 1000 bridges.
    tagSeconds: num("tag-seconds", 60, 0.01),
    instanceId: o["instance-id"],
    launchHook: o["launch-hook"],
    cloudInitWaitSeconds: num("cloud-init-wait-seconds", 900, 0),
  };
}

/** Warm-pool target states: the instance is prepared, then stopped (or kept running / hibernated) in the pool. */
const WARMED = new Set(["Warmed:Stopped", "Warmed:Running", "Warmed:Hibernated"]);

/**
 * await-in-service: waits until the group puts the instance in service. With a launching hook (a warm pool), each
 * transition waits for it: launched into the pool (target Warmed:*) it completes the hook once the boot is over
 * (cloud-init done, so the stop cannot interrupt it and the first boot never re-runs), and the group stops it;
 * started from the pool (target InService) it completes the hook at once, and the bridge starts. "No active lifecycle
 * action" (already released, or no hook) is fine. Returns true once in service, false at the watch limit.
 */
export async function awaitInService(
  o: Pick<Options, "watchSeconds" | "watchLimitSeconds">,
  io: { target: () => Promise<string | undefined>; launchHook?: LifecycleClient; bootFinished: () => Promise<void> },
  clock: Clock,
  log: Log,
): Promise<boolean> {
  const released = new Set<string>();
  const ok = await watchLoop(o, clock, async () => {
    const target = await io.target();
    if (target === undefined) return undefined;
    if (io.launchHook && (target === "InService" || WARMED.has(target)) && !released.has(target)) {
      if (WARMED.has(target)) await io.bootFinished();
      try {
        await io.launchHook.complete();
        log("jvb-drain-launch-released", { target });
      } catch (e) {
        if (!/no active lifecycle action/i.test((e as Error).message)) throw e;
      }
      released.add(target);
    }
    return target === "InService" ? true : undefined;
  }, log);
  return ok === true;
}

/** `cloud-init status --wait`, bounded; a host without cloud-init (or a timeout) goes on. */
function cloudInitDone(seconds: number): () => Promise<void> {
  return async () => {
    if (seconds <= 0) return;
    spawnSync("cloud-init", ["status", "--wait"], { stdio: "ignore", timeout: seconds * 1000 });
  };
}

async function watchLoop<T>(o: Pick<Options, "watchSeconds" | "watchLimitSeconds">, clock: Clock, probe: () => Promise<T | undefined>, log: Log): Promise<T | undefined> {
  const started = clock.now();
  // Bounded when --watch-limit-seconds is set; otherwise it runs for the instance's life under systemd.
  while (o.watchLimitSeconds === 0 || clock.now() - started < o.watchLimitSeconds * 1000) {
    try {
      const r = await probe();
      if (r !== undefined) return r;
    } catch (e) {
      log("jvb-drain-imds-failed", { error: String(e) });
    }
    await clock.sleep(o.watchSeconds * 1000);
  }
  return undefined;
}

/**
 * A log that also counts drain cuts in CloudWatch (BridgeDrainCuts), so a conference cut by scale-in is a
 * metric and an alarm, not only a journal line.
 */
export function withCutMetric(log: Log, region: string, cw: Pick<CloudWatchClient, "send">): Log & { pending: Promise<unknown>[] } {
  const pending: Promise<unknown>[] = [];
  const wrapped = ((event: string, fields?: Record<string, unknown>) => {
    log(event, fields);
    if (event === DRAIN_CUT_EVENT) {
      const data = toMetricData([{ metric: BRIDGE_METRICS.drainCuts, value: 1 }], { Region: region }, new Date());
      pending.push(publishMetricData(cw as CloudWatchClient, data, { attempts: 3 }).catch((e) => log("jvb-drain-metric-failed", { error: String(e) })));
    }
  }) as Log & { pending: Promise<unknown>[] };
  wrapped.pending = pending;
  return wrapped;
}

export async function main(argv: string[], clock: Clock = realClock, baseLog: Log = jsonLog): Promise<number> {
  let region: string | undefined;
  try {
    region = parseOptions(argv.slice(1)).region;
  } catch {
    region = undefined; // run() reports the usage error
  }
  const log = region ? withCutMetric(baseLog, region, new CloudWatchClient({ region, maxAttempts: 1 })) : undefined;
  const code = await run(argv, clock, log ?? baseLog);
  // The cut metric is sent before the process exits.
  if (log) await Promise.all(log.pending);
  return code;
}

async function run(argv: string[], clock: Clock, log: Log): Promise<number> {
  const [command, ...rest] = argv;
  let o: Options;
  try {
    o = parseOptions(rest);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const imds = httpImds(o.imdsUrl);
  if (command === "await-in-service") {
    // A warm-pool instance boots, then stops: the bridge must not join breweries until the group puts it in service.
    let launchHook: LifecycleClient | undefined;
    if (o.launchHook) {
      const missing = (["group", "region"] as const).filter((k) => !o[k]);
      if (missing.length > 0) {
        console.error(`--launch-hook needs ${missing.map((k) => `--${k}`).join(", ")}\n${USAGE}`);
        return 2;
      }
      const instanceId = o.instanceId ?? (await imds.get("instance-id").catch(() => undefined));
      if (!instanceId) {
        console.error("await-in-service: no instance id in the metadata; the launching hook cannot be released");
        return 1;
      }
      launchHook = asgLifecycle(new AutoScalingClient({ region: o.region }), o.group, o.launchHook, instanceId);
    }
    const target = () => imds.get("autoscaling/target-lifecycle-state");
    return (await awaitInService(o, { target, launchHook, bootFinished: cloudInitDone(o.cloudInitWaitSeconds) }, clock, log)) ? 0 : 1;
  }
  if (command === "initial-drain") {
    // Before JVB starts (render/jvb-boot.ts): a bridge the scaler tagged while it booted (a reserve) must come up in
    // drain mode, so Jicofo gives it no conference before the watch loop mirrors the tag. Fails open: on any error
    // it prints false and the bridge serves, as it did before reserves existed.
    let drain = false;
    try {
      const id = o.instanceId ?? (await imds.get("instance-id"));
      if (!id) throw new Error("no instance id in the metadata");
      drain = (await readDrainTag(new EC2Client({ region: o.region || undefined }), id)) !== undefined;
    } catch (e) {
      // stderr: stdout carries only the answer the boot script reads.
      console.error(JSON.stringify({ event: "jvb-drain-initial-failed", error: String(e) }));
    }
    console.log(String(drain));
    return 0;
  }
  if (command !== "watch" && command !== "now") {
    console.error(USAGE);
    return 2;
  }
  const missing = (["group", "hook", "region"] as const).filter((k) => !o[k]);
  if (missing.length > 0) {
    console.error(`missing ${missing.map((k) => `--${k}`).join(", ")}\n${USAGE}`);
    return 2;
  }
  const ec2 = new EC2Client({ region: o.region });
  const colibri = httpColibri(o.colibriUrl);
  let instanceId = o.instanceId;
  let drainStartedS: number | undefined;
  let lastTagCheck = -Infinity;
  /** Mirrors the scaler's drain tag into JVB's drain mode (reversible: the scaler may undrain). */
  const followDrainTag = async (id: string): Promise<void> => {
    let tagged: boolean | undefined;
    let jvb: boolean | undefined;
    try {
      drainStartedS = await readDrainTag(ec2, id);
      tagged = drainStartedS !== undefined;
    } catch (e) {
      log("jvb-drain-tag-failed", { error: String(e) });
    }
    try {
      jvb = await colibri.drainMode();
    } catch (e) {
      log("jvb-drain-mode-unknown", { error: String(e) });
    }
    const change = drainModeChange(tagged, jvb);
    if (!change) return;
    try {
      await colibri.setDrainMode(change === "enable");
      log("jvb-drain-mode", { drain: change === "enable", since: drainStartedS ?? null });
    } catch (e) {
      log("jvb-drain-mode-failed", { error: String(e) });
    }
  };
  const probe = async (): Promise<Termination | undefined> => {
    const t = await checkTermination(imds, clock.now());
    if (t) return t;
    instanceId ??= await imds.get("instance-id");
    if (instanceId && clock.now() - lastTagCheck >= o.tagSeconds * 1000) {
      lastTagCheck = clock.now();
      await followDrainTag(instanceId);
    }
    return undefined;
  };
  const trigger: Termination | undefined = command === "now" ? { kind: "lifecycle" } : await watchLoop(o, clock, probe, log);
  if (!trigger) return 0;
  instanceId ??= await imds.get("instance-id");
  if (!instanceId) {
    log("jvb-drain-no-instance-id");
    return 1;
  }
  try {
    // Fresh: the cap counts from the first drain (capFor).
    drainStartedS = await readDrainTag(ec2, instanceId);
  } catch (e) {
    log("jvb-drain-tag-failed", { error: String(e) });
  }
  const cfg: DrainConfig = {
    maxDrainMs: capFor(trigger, clock.now(), o.maxDrainSeconds * 1000, drainStartedS),
    pollMs: o.pollSeconds * 1000,
    heartbeatMs: o.heartbeatSeconds * 1000,
    unreachableLimit: 3,
  };
  log("jvb-drain-trigger", { trigger: trigger.kind, instanceId, capSeconds: Math.round(cfg.maxDrainMs / 1000), drainStartedS: drainStartedS ?? null });
  const lifecycle = asgLifecycle(new AutoScalingClient({ region: o.region }), o.group, o.hook, instanceId);
  const r = await runDrain({ colibri, lifecycle, clock, log }, cfg);
  return r.completedAction || trigger.kind === "spot" ? 0 : 1;
}
