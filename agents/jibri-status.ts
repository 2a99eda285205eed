/**
 * jibri-status: the recorder's status agent, a systemd service for the life of the instance.
 *
 *   jibri-status watch --group G --region R --pool P --topic-arn ARN --hook H [--launch-hook L] [--health-url U] [--state-dir D]
 *
 * Every interval it reads Jibri's health (`:2222/jibri/api/v1.0/health`, loopback; jitsi-facts.md) and the
 * finalize agent's `uploading/` markers, and derives the recorder's phase (the replenisher's RecorderPhase).
 * On a change it:
 *   1. sets scale-in protection on its own instance when busy or uploading, clears it otherwise
 *      (SetInstanceProtection: the replenisher and the ASG never scale in a recorder holding a recording);
 *   2. tags its instance `jitsi:jibri-phase`, `jitsi:jibri-phase-since` (+ `jitsi:jibri-last-busy-at` on busy):
 *      the replenisher reads these with DescribeInstances (its view of the pool and of the start rate);
 *   3. publishes the change to the pool's SNS topic, which invokes the replenisher at once, so a replacement is
 *      launched within seconds of an allocation instead of at the next one-minute run.
 * A step that fails is retried on the next tick (the state advances only on success).
 *
 * Single-use mode: after a recording Jibri reports EXPIRED; the agent restarts the jibri service (a clean
 * Chrome/ffmpeg/JVM for the next recording) and reports `booting` until Jibri is IDLE again.
 *
 * Terminating lifecycle hook: when instance metadata says the instance is being terminated, the agent asks Jibri
 * for a graceful shutdown (no new session), heartbeats the hook while a recording or an upload is in progress,
 * and completes it (CONTINUE) when none is, or at the cap.
 */
import { AutoScalingClient, SetInstanceProtectionCommand } from "@aws-sdk/client-auto-scaling";
import { CreateTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { RecorderPhase } from "../functions/jibri-replenisher/decide";
import { JIBRI_TAGS, STATUS_EVENT_SOURCE, type StatusMessage } from "../functions/jibri-replenisher/protocol";
import { asgLifecycle, httpImds, type Imds, type LifecycleClient } from "./jvb-drain";
import { imdsInstanceId } from "./metrics-io";

export { JIBRI_TAGS, STATUS_EVENT_SOURCE } from "../functions/jibri-replenisher/protocol";

/** What one health poll saw. */
export type JibriObservation =
  | { readonly reachable: false }
  | { readonly reachable: true; readonly busyStatus: "IDLE" | "BUSY" | "EXPIRED"; readonly healthy: boolean };

/** Parses Jibri's health JSON; anything else is "unreachable" (a Jibri that answers nonsense cannot record). */
export function parseHealth(body: string): JibriObservation {
  try {
    const s = (JSON.parse(body) as { status?: { busyStatus?: unknown; health?: { healthStatus?: unknown } } }).status;
    const b = s?.busyStatus;
    if (b !== "IDLE" && b !== "BUSY" && b !== "EXPIRED") return { reachable: false };
    return { reachable: true, busyStatus: b, healthy: s?.health?.healthStatus === "HEALTHY" };
  } catch {
    return { reachable: false };
  }
}

export interface StatusConfig {
  /** Jibri unreachable this long after it was once up = unhealthy (a restart takes seconds). */
  readonly unhealthyAfterMs: number;
  /** Least time between two restarts of the jibri service. */
  readonly restartBackoffMs: number;
}
export const STATUS_DEFAULTS: StatusConfig = { unhealthyAfterMs: 120_000, restartBackoffMs: 60_000 };

export interface StatusState {
  readonly phase: RecorderPhase;
  readonly phaseSince: number;
  /** Protection as last set successfully (undefined: never set by this agent). */
  readonly protectedSet?: boolean;
  /** Phase last written to the tags / published (undefined: not yet). */
  readonly taggedPhase?: RecorderPhase;
  readonly notifiedPhase?: RecorderPhase;
  /** When Jibri last answered (ms); undefined before its first answer. */
  readonly lastReachableAt?: number;
  readonly lastBusyAt?: number;
  readonly lastRestartAt?: number;
}

export function initialStatus(now: number): StatusState {
  return { phase: "booting", phaseSince: now };
}

/** The phase for one observation. Uploading wins over everything: that recorder holds data. */
export function phaseOf(obs: JibriObservation, uploading: boolean, state: StatusState, now: number, cfg: StatusConfig): RecorderPhase {
  if (uploading) return "uploading";
  if (!obs.reachable) {
    if (state.lastReachableAt === undefined) return "booting";
    return now - state.lastReachableAt >= cfg.unhealthyAfterMs ? "unhealthy" : state.phase === "busy" ? "busy" : "booting";
  }
  if (obs.busyStatus === "BUSY") return "busy";
  if (obs.busyStatus === "EXPIRED") return "booting"; // single-use: restarting for the next recording
  return obs.healthy ? "idle" : "unhealthy";
}

export type StatusEffect =
  | { readonly kind: "protect"; readonly value: boolean }
  | { readonly kind: "tag"; readonly phase: RecorderPhase; readonly since: number; readonly lastBusyAt?: number }
  | { readonly kind: "notify"; readonly phase: RecorderPhase; readonly since: number }
  | { readonly kind: "restartJibri" };

/**
 * Pure: the next state and the effects to run, in order (protection first, so that when the replenisher hears
 * of a busy recorder, it is already protected). Effects not yet confirmed are emitted again on the next tick.
 */
export function nextStatus(state: StatusState, obs: JibriObservation, uploading: boolean, now: number, cfg: StatusConfig = STATUS_DEFAULTS): { state: StatusState; effects: StatusEffect[] } {
  const phase = phaseOf(obs, uploading, state, now, cfg);
  let s: StatusState = { ...state, lastReachableAt: obs.reachable ? now : state.lastReachableAt };
  if (phase !== state.phase) s = { ...s, phase, phaseSince: now, lastBusyAt: phase === "busy" ? now : s.lastBusyAt };
  const effects: StatusEffect[] = [];
  const wantProtected = phase === "busy" || phase === "uploading";
  if (s.protectedSet !== wantProtected) effects.push({ kind: "protect", value: wantProtected });
  if (s.taggedPhase !== phase) effects.push({ kind: "tag", phase, since: s.phaseSince, lastBusyAt: phase === "busy" ? s.lastBusyAt : undefined });
  if (s.notifiedPhase !== phase) effects.push({ kind: "notify", phase, since: s.phaseSince });
  if (obs.reachable && obs.busyStatus === "EXPIRED" && !uploading && (s.lastRestartAt === undefined || now - s.lastRestartAt >= cfg.restartBackoffMs))
    effects.push({ kind: "restartJibri" });
  return { state: s, effects };
}

/** The state after an effect succeeded. */
export function confirm(state: StatusState, e: StatusEffect, now: number): StatusState {
  switch (e.kind) {
    case "protect":
      return { ...state, protectedSet: e.value };
    case "tag":
      return { ...state, taggedPhase: e.phase };
    case "notify":
      return { ...state, notifiedPhase: e.phase };
    case "restartJibri":
      return { ...state, lastRestartAt: now };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// I/O

export interface StatusTarget {
  readonly instanceId: string;
  readonly group: string;
  readonly pool: string;
  readonly region: string;
  readonly topicArn: string;
}

export interface StatusIo {
  readonly autoscaling: AutoScalingClient;
  readonly ec2: EC2Client;
  readonly sns: SNSClient;
  readonly restartJibri: () => Promise<void>;
}

/** Runs one effect against AWS (or systemd). Throws on failure. */
export async function runEffect(io: StatusIo, t: StatusTarget, e: StatusEffect): Promise<void> {
  switch (e.kind) {
    case "protect":
      await io.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: t.group, InstanceIds: [t.instanceId], ProtectedFromScaleIn: e.value }));
      return;
    case "tag": {
      const tags: { Key: string; Value: string }[] = [
        { Key: JIBRI_TAGS.phase, Value: e.phase },
        { Key: JIBRI_TAGS.phaseSince, Value: String(Math.floor(e.since / 1000)) },
      ];
      if (e.lastBusyAt !== undefined) tags.push({ Key: JIBRI_TAGS.lastBusyAt, Value: String(Math.floor(e.lastBusyAt / 1000)) });
      await io.ec2.send(new CreateTagsCommand({ Resources: [t.instanceId], Tags: tags }));
      return;
    }
    case "notify": {
      const message: StatusMessage = { source: STATUS_EVENT_SOURCE, instanceId: t.instanceId, group: t.group, pool: t.pool, region: t.region, phase: e.phase, since: Math.floor(e.since / 1000) };
      await io.sns.send(
        new PublishCommand({
          TopicArn: t.topicArn,
          Subject: `jibri ${e.phase}`,
          Message: JSON.stringify(message),
        }),
      );
      return;
    }
    case "restartJibri":
      await io.restartJibri();
      return;
  }
}

/** One tick: observe, decide, run the effects in order; stops at the first failure (retried next tick). */
export async function tick(io: StatusIo, t: StatusTarget, state: StatusState, obs: JibriObservation, uploading: boolean, now: number, log: (event: string, f?: Record<string, unknown>) => void): Promise<StatusState> {
  const next = nextStatus(state, obs, uploading, now);
  let s = next.state;
  if (s.phase !== state.phase) log("jibri-status-phase", { from: state.phase, to: s.phase });
  for (const e of next.effects) {
    try {
      await runEffect(io, t, e);
      s = confirm(s, e, now);
    } catch (err) {
      log("jibri-status-effect-failed", { effect: e.kind, error: (err as Error).message });
      break;
    }
  }
  return s;
}

/** True while a finalize run holds an `uploading/<session>` marker. */
export function uploadInProgress(stateDir: string): boolean {
  try {
    return fs.readdirSync(path.join(stateDir, "uploading")).length > 0;
  } catch {
    return false;
  }
}

export async function observeJibri(healthUrl: string, timeoutMs = 3000): Promise<JibriObservation> {
  try {
    const res = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
    return parseHealth(await res.text());
  } catch {
    return { reachable: false };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Termination (lifecycle hook)

/**
 * While the instance is held in Terminating:Wait: ask Jibri for a graceful shutdown once, heartbeat while it is
 * busy or an upload runs, complete when neither (or at `capMs`). Bounded by capMs / pollMs iterations.
 */
export async function holdForTermination(deps: {
  lifecycle: LifecycleClient;
  busy: () => Promise<boolean>;
  gracefulShutdown: () => Promise<void>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  log: (event: string, f?: Record<string, unknown>) => void;
  capMs: number;
  pollMs: number;
  heartbeatMs: number;
}): Promise<{ reason: "done" | "cap"; heartbeats: number }> {
  const start = deps.now();
  let lastBeat = start;
  let heartbeats = 0;
  await deps.gracefulShutdown().catch((e: Error) => deps.log("jibri-status-graceful-failed", { error: e.message }));
  for (let i = 0; i <= Math.ceil(deps.capMs / deps.pollMs); i++) {
    if (!(await deps.busy())) {
      await deps.lifecycle.complete();
      return { reason: "done", heartbeats };
    }
    if (deps.now() - start >= deps.capMs) break;
    if (deps.now() - lastBeat >= deps.heartbeatMs) {
      await deps.lifecycle.heartbeat().catch((e: Error) => deps.log("jibri-status-heartbeat-failed", { error: e.message }));
      heartbeats++;
      lastBeat = deps.now();
    }
    await deps.sleep(deps.pollMs);
  }
  deps.log("jibri-status-termination-cap", { heldMs: deps.now() - start });
  await deps.lifecycle.complete();
  return { reason: "cap", heartbeats };
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

export interface StatusOptions {
  readonly group: string;
  readonly region: string;
  readonly pool: string;
  readonly topicArn: string;
  readonly hook: string;
  /** Launching lifecycle hook released once this agent runs (setup done); undefined: none. */
  readonly launchHook?: string;
  readonly healthUrl: string;
  readonly gracefulUrl: string;
  readonly stateDir: string;
  /** Jibri's recordings directory (leftover sessions hold the termination hook). */
  readonly recordingsDir: string;
  readonly intervalMs: number;
  readonly terminationCapMs: number;
  readonly imdsUrl: string;
}

export function parseStatusArgs(argv: readonly string[]): StatusOptions {
  if (argv[0] !== "watch") throw new Error("usage: jibri-status watch --group G --region R --pool P --topic-arn ARN --hook H [--launch-hook L] [--health-url U] [--state-dir D] [--recordings-dir D] [--interval-ms 2000] [--termination-cap-s 14400]");
  const f: Record<string, string> = {};
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) throw new Error(`expected --flag value pairs, got '${argv[i]}'`);
    f[argv[i].slice(2)] = argv[i + 1];
  }
  const known = ["group", "region", "pool", "topic-arn", "hook", "launch-hook", "health-url", "graceful-url", "state-dir", "recordings-dir", "interval-ms", "termination-cap-s", "imds-url"];
  for (const k of Object.keys(f)) if (!known.includes(k)) throw new Error(`unknown option --${k}`);
  for (const k of ["group", "region", "pool", "topic-arn", "hook"]) if (!f[k]) throw new Error(`--${k} is required`);
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(f["topic-arn"])) throw new Error(`--topic-arn must be an SNS topic ARN, got '${f["topic-arn"]}'`);
  const intervalMs = Number(f["interval-ms"] ?? 2000);
  if (!Number.isInteger(intervalMs) || intervalMs < 500 || intervalMs > 60_000) throw new Error(`--interval-ms must be a whole number from 500 to 60000, got '${f["interval-ms"]}'`);
  const capS = Number(f["termination-cap-s"] ?? 14_400);
  // The hook's heartbeats extend it up to 48 h (jitsi-facts.md: min(48 h, 100 × timeout)).
  if (!Number.isInteger(capS) || capS < 60 || capS > 172_800) throw new Error(`--termination-cap-s must be a whole number from 60 to 172800, got '${f["termination-cap-s"]}'`);
  return {
    group: f.group,
    region: f.region,
    pool: f.pool,
    topicArn: f["topic-arn"],
    hook: f.hook,
    launchHook: f["launch-hook"],
    healthUrl: f["health-url"] ?? "http://127.0.0.1:2222/jibri/api/v1.0/health",
    gracefulUrl: f["graceful-url"] ?? "http://127.0.0.1:3333/jibri/api/internal/v1.0/gracefulShutdown",
    stateDir: f["state-dir"] ?? "/run/jitsi-aws",
    recordingsDir: f["recordings-dir"] ?? "/var/lib/jibri/recordings",
    intervalMs,
    terminationCapMs: capS * 1000,
    imdsUrl: f["imds-url"] ?? "http://169.254.169.254",
  };
}

const jsonLog = (event: string, fields: Record<string, unknown> = {}): void => console.log(JSON.stringify({ event, ...fields }));

function systemctlRestartJibri(): Promise<void> {
  return new Promise((resolve, reject) => execFile("systemctl", ["restart", "jibri"], { timeout: 60_000 }, (err) => (err ? reject(err) : resolve())));
}

/** Runs until the instance is terminated (then holds the lifecycle hook) or the process is stopped. */
export async function main(argv: string[]): Promise<number> {
  let o: StatusOptions;
  try {
    o = parseStatusArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const instanceId = await imdsInstanceId(5000, o.imdsUrl);
  const t: StatusTarget = { instanceId, group: o.group, pool: o.pool, region: o.region, topicArn: o.topicArn };
  const autoscaling = new AutoScalingClient({ region: o.region });
  const io: StatusIo = { autoscaling, ec2: new EC2Client({ region: o.region }), sns: new SNSClient({ region: o.region }), restartJibri: systemctlRestartJibri };
  const imds: Imds = httpImds(o.imdsUrl);
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  if (o.launchHook) await releaseLaunchHook(asgLifecycle(autoscaling, o.group, o.launchHook, instanceId), sleep, jsonLog);
  let state = initialStatus(Date.now());
  for (;;) {
    if ((await imds.get("autoscaling/target-lifecycle-state").catch(() => undefined)) === "Terminated") {
      const res = await holdForTermination({
        lifecycle: asgLifecycle(autoscaling, o.group, o.hook, instanceId),
        // Held while Jibri records, an upload runs, or a failed upload waits for the sweep timer's next retry.
        busy: async () => uploadInProgress(o.stateDir) || hasLeftovers(o.recordingsDir) || isBusy(await observeJibri(o.healthUrl)),
        gracefulShutdown: async () => {
          const res = await fetch(o.gracefulUrl, { method: "POST", signal: AbortSignal.timeout(5000) });
          if (!res.ok) throw new Error(`graceful shutdown answered ${res.status}`);
        },
        now: () => Date.now(),
        sleep,
        log: jsonLog,
        capMs: o.terminationCapMs,
        pollMs: 5000,
        heartbeatMs: 60_000,
      });
      jsonLog("jibri-status-terminated", res);
      return 0;
    }
    state = await tick(io, t, state, await observeJibri(o.healthUrl), uploadInProgress(o.stateDir), Date.now(), jsonLog);
    await sleep(o.intervalMs);
  }
}

/**
 * The agent starts only when the host is set up (boot script done, rebooted into a kernel with snd-aloop), so
 * it releases the launching hook: Pending:Wait → InService (or → Warmed:Stopped for a warm-pool instance).
 * Bounded: 5 tries; "no active lifecycle action" (already released, or none) ends it too.
 */
export async function releaseLaunchHook(lifecycle: LifecycleClient, sleep: (ms: number) => Promise<void>, log: (e: string, f?: Record<string, unknown>) => void): Promise<boolean> {
  for (let tri = 1; tri <= 5; tri++) {
    try {
      await lifecycle.complete();
      log("jibri-status-launch-released");
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      if (/no active lifecycle action/i.test(msg)) return false;
      log("jibri-status-launch-release-failed", { try: tri, error: msg });
      if (tri < 5) await sleep(10_000);
    }
  }
  return false;
}

function isBusy(obs: JibriObservation): boolean {
  return obs.reachable && obs.busyStatus === "BUSY";
}

/** True when a session directory is still in the recordings directory (not yet uploaded). */
export function hasLeftovers(recordingsDir: string): boolean {
  try {
    return fs.readdirSync(recordingsDir, { withFileTypes: true }).some((d) => d.isDirectory());
  } catch {
    return false;
  }
}
