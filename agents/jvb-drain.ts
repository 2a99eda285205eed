/**
 * jvb-drain: graceful scale-in of one video bridge, run ON the bridge host.
 *
 *   jvb-drain watch --group G --hook H --region R [options]   (systemd service for the life of the instance)
 *   jvb-drain now   --group G --hook H --region R [options]   (drain at once; for operators)
 *   jvb-drain await-in-service [--imds-url U]                 (ExecStartPre of the bridge: waits out a warm pool)
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

// ---------------------------------------------------------------------------------------------------------------
// Pure core

export interface DrainConfig {
  /** Give up waiting for participants after this long and let the instance go (default 3600 s, 8x8's 1 h). */
  readonly maxDrainMs: number;
  /** Interval between two colibri stats polls. */
  readonly pollMs: number;
  /** Interval between two lifecycle heartbeats; must stay below the hook's heartbeat timeout. */
  readonly heartbeatMs: number;
  /** Consecutive failed stats polls after which the bridge is taken as gone (it exits after graceful shutdown). */
  readonly unreachableLimit: number;
}

export interface DrainState {
  readonly startedAt: number;
  readonly lastHeartbeatAt: number;
  /** Consecutive failed polls. */
  readonly failures: number;
  /** Last participant count seen (undefined before the first successful poll). */
  readonly lastParticipants?: number;
  readonly completed: boolean;
}

export type CompleteReason = "empty" | "cap" | "bridge-gone";
export type DrainAction =
  | { readonly kind: "wait" }
  | { readonly kind: "heartbeat" }
  | { readonly kind: "complete"; readonly reason: CompleteReason; readonly participants: number | undefined };

export function initialDrainState(now: number): DrainState {
  return { startedAt: now, lastHeartbeatAt: now, failures: 0, completed: false };
}

/**
 * What to do after one stats poll (`participants` undefined when the poll failed). Completion wins over a
 * heartbeat; a bridge that stopped answering after graceful shutdown has no participants left to protect.
 */
export function nextDrainAction(state: DrainState, participants: number | undefined, now: number, cfg: DrainConfig): { action: DrainAction; state: DrainState } {
  if (state.completed) throw new Error("drain already completed");
  const failures = participants === undefined ? state.failures + 1 : 0;
  const lastParticipants = participants ?? state.lastParticipants;
  const next: DrainState = { ...state, failures, lastParticipants };
  const done = (reason: CompleteReason) => ({ action: { kind: "complete", reason, participants: lastParticipants } as const, state: { ...next, completed: true } });
  if (participants === 0) return done("empty");
  if (failures >= cfg.unreachableLimit) return done("bridge-gone");
  if (now - state.startedAt >= cfg.maxDrainMs) return done("cap");
  if (now - state.lastHeartbeatAt >= cfg.heartbeatMs) return { action: { kind: "heartbeat" }, state: { ...next, lastHeartbeatAt: now } };
  return { action: { kind: "wait" }, state: next };
}

/** Local participants from a /colibri/stats body: relay (Octo) endpoints live on other bridges and do not count. */
export function localParticipants(stats: Record<string, unknown>): number {
  const num = (k: string) => (typeof stats[k] === "number" ? (stats[k] as number) : undefined);
  const local = num("local_endpoints");
  if (local !== undefined) return Math.max(0, local);
  const all = num("participants");
  if (all === undefined) throw new Error("colibri stats have neither local_endpoints nor participants");
  return Math.max(0, all - (num("octo_endpoints") ?? 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Collaborators

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface ColibriClient {
  startGracefulShutdown(): Promise<void>;
  localParticipants(): Promise<number>;
}

export interface LifecycleClient {
  heartbeat(): Promise<void>;
  complete(): Promise<void>;
}

export type Log = (event: string, fields?: Record<string, unknown>) => void;
export const jsonLog: Log = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

/** Log event name of a drain that ended with participants still on the bridge (a metric filter can count it). */
export const DRAIN_CUT_EVENT = "jvb-drain-cut";

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
  };
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
// The drain loop

export interface DrainResult {
  readonly reason: CompleteReason;
  readonly participantsLeft: number | undefined;
  readonly drainedMs: number;
  readonly heartbeats: number;
  readonly completedAction: boolean;
}

export async function runDrain(deps: { colibri: ColibriClient; lifecycle: LifecycleClient; clock: Clock; log: Log }, cfg: DrainConfig): Promise<DrainResult> {
  const { colibri, lifecycle, clock, log } = deps;
  try {
    await colibri.startGracefulShutdown();
    log("jvb-drain-started");
  } catch (e) {
    // Still poll: a bridge that is down has nothing to drain, and unreachableLimit completes the action.
    log("jvb-drain-shutdown-failed", { error: String(e) });
  }
  let state = initialDrainState(clock.now());
  let heartbeats = 0;
  // Bounded: the cap ends the loop after maxDrainMs / pollMs polls; the slack covers slow polls.
  const maxPolls = Math.ceil(cfg.maxDrainMs / cfg.pollMs) + cfg.unreachableLimit + 2;
  for (let i = 0; i < maxPolls; i++) {
    let participants: number | undefined;
    try {
      participants = await colibri.localParticipants();
    } catch (e) {
      log("jvb-drain-stats-failed", { error: String(e) });
    }
    const step = nextDrainAction(state, participants, clock.now(), cfg);
    state = step.state;
    const a = step.action;
    if (a.kind === "heartbeat") {
      try {
        await lifecycle.heartbeat();
        heartbeats++;
      } catch (e) {
        log("jvb-drain-heartbeat-failed", { error: String(e) });
      }
    } else if (a.kind === "complete") {
      return finish(a.reason, a.participants);
    }
    await clock.sleep(cfg.pollMs);
  }
  return finish("cap", state.lastParticipants);

  async function finish(reason: CompleteReason, participantsLeft: number | undefined): Promise<DrainResult> {
    const drainedMs = clock.now() - state.startedAt;
    if (reason === "cap" && (participantsLeft ?? 1) > 0)
      log(DRAIN_CUT_EVENT, { participants: participantsLeft ?? null, drainedSeconds: Math.round(drainedMs / 1000) });
    let completedAction = false;
    try {
      await lifecycle.complete();
      completedAction = true;
      log("jvb-drain-completed", { reason, participants: participantsLeft ?? null, drainedSeconds: Math.round(drainedMs / 1000) });
    } catch (e) {
      // A Spot notice can come without a pending lifecycle action (ValidationError): nothing to complete.
      log("jvb-drain-complete-failed", { reason, error: String(e) });
    }
    return { reason, participantsLeft, drainedMs, heartbeats, completedAction };
  }
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

/** Why the instance is going away. `deadlineMs` (Spot) = when EC2 reclaims it. */
export type Termination = { readonly kind: "lifecycle" } | { readonly kind: "spot"; readonly deadlineMs: number };

/** One look at the metadata: a terminating lifecycle action or a Spot interruption notice, else undefined. */
export async function checkTermination(imds: Imds, nowMs: number): Promise<Termination | undefined> {
  if ((await imds.get("autoscaling/target-lifecycle-state")) === "Terminated") return { kind: "lifecycle" };
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

/** The drain cap for a trigger: maxDrainMs, or for Spot the time left before reclaim minus a margin. */
export function capFor(t: Termination, nowMs: number, maxDrainMs: number, spotMarginMs = 15_000): number {
  return t.kind === "spot" ? Math.max(0, Math.min(maxDrainMs, t.deadlineMs - nowMs - spotMarginMs)) : maxDrainMs;
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
  instanceId?: string;
}

const USAGE =
  "usage: jvb-drain watch|now --group NAME --hook NAME --region REGION [--max-drain-seconds 3600] [--poll-seconds 10]\n" +
  "         [--heartbeat-seconds 300] [--watch-seconds 5] [--watch-limit-seconds 0] [--colibri-url http://127.0.0.1:8080]\n" +
  "         [--imds-url http://169.254.169.254] [--instance-id ID]\n" +
  "       jvb-drain await-in-service [--imds-url URL] [--watch-seconds 5] [--watch-limit-seconds 0]";

export function parseOptions(args: string[]): Options {
  const o: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i];
    if (!k.startsWith("--") || args[i + 1] === undefined) throw new Error(`bad argument "${k}"\n${USAGE}`);
    o[k.slice(2)] = args[i + 1];
  }
  const known = ["group", "hook", "region", "colibri-url", "imds-url", "max-drain-seconds", "poll-seconds", "heartbeat-seconds", "watch-seconds", "watch-limit-seconds", "instance-id"];
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
    instanceId: o["instance-id"],
  };
}

async function watchLoop<T>(o: Options, clock: Clock, probe: () => Promise<T | undefined>, log: Log): Promise<T | undefined> {
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

export async function main(argv: string[], clock: Clock = realClock, log: Log = jsonLog): Promise<number> {
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
    const ok = await watchLoop(o, clock, async () => ((await imds.get("autoscaling/target-lifecycle-state")) === "InService" ? true : undefined), log);
    return ok ? 0 : 1;
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
  const trigger: Termination | undefined = command === "now" ? { kind: "lifecycle" } : await watchLoop(o, clock, () => checkTermination(imds, clock.now()), log);
  if (!trigger) return 0;
  const instanceId = o.instanceId ?? (await imds.get("instance-id"));
  if (!instanceId) {
    log("jvb-drain-no-instance-id");
    return 1;
  }
  const cfg: DrainConfig = {
    maxDrainMs: capFor(trigger, clock.now(), o.maxDrainSeconds * 1000),
    pollMs: o.pollSeconds * 1000,
    heartbeatMs: o.heartbeatSeconds * 1000,
    unreachableLimit: 3,
  };
  log("jvb-drain-trigger", { trigger: trigger.kind, instanceId, capSeconds: Math.round(cfg.maxDrainMs / 1000) });
  const lifecycle = asgLifecycle(new AutoScalingClient({ region: o.region }), o.group, o.hook, instanceId);
  const r = await runDrain({ colibri: httpColibri(o.colibriUrl), lifecycle, clock, log }, cfg);
  return r.completedAction || trigger.kind === "spot" ? 0 : 1;
}
