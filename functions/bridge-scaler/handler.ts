/**
 * The bridge scaler's AWS adapter (runs once a minute from EventBridge): gather the fleet's state, call the pure
 * `decideBridgeCapacity` (decide.ts), apply the decision. No decision logic here.
 *
 * State sources (all read-only, least privilege in index.ts):
 * - DescribeAutoScalingGroups: desired capacity, instances, lifecycle states, scale-in protection;
 *   DescribeWarmPool when the group has one (warm instances shorten the lead time).
 * - DescribeScalingActivities (newest 100): when each instance was launched and when its termination (= drain)
 *   started, and the group's last launch / last termination (the scaler's cooldown memory). Kept by AWS, so the
 *   scaler needs no state store and no write permission beyond the scaling calls themselves.
 * - CloudWatch GetMetricData on metrics/catalog.ts BRIDGE_METRICS.participants: the fleet total per minute
 *   (dimensions Region+Fleet, Sum) over `historyDays` days for trend and time-of-day profile, and each bridge's
 *   newest per-minute value (Region+Fleet+InstanceId, Maximum).
 *
 * Apply order (decide.ts): protect, unprotect + drain, setDesired, release, keepDraining. The bridge's own
 * drain agent (agents/jvb-drain.ts) normally completes its lifecycle action first; the scaler's release is a
 * backstop for a bridge whose agent died, so "no active lifecycle action" is expected and not an error.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { BRIDGE_METRICS, DIM } from "../../metrics/catalog";
import {
  AsgLifecycleState,
  BridgeDecision,
  BridgeFleetState,
  BridgeInstance,
  BridgePolicy,
  decideBridgeCapacity,
  resolveBridgePolicy,
} from "./decide";

/** What the function is told through its environment (no secrets). */
export interface ScalerConfig {
  readonly groupName: string;
  readonly hookName: string;
  readonly fleetName: string;
  /** Value of the Region dimension the publishers use. */
  readonly fleetRegion: string;
  readonly policy: BridgePolicy;
  /** Days of fleet history read for the time-of-day profile (1-min data is kept 15 days by CloudWatch). */
  readonly historyDays: number;
}

/** Environment variable names (index.ts sets them). */
export const SCALER_ENV = {
  groupName: "BRIDGE_GROUP_NAME",
  hookName: "BRIDGE_HOOK_NAME",
  fleetName: "BRIDGE_FLEET_NAME",
  fleetRegion: "BRIDGE_FLEET_REGION",
  policy: "BRIDGE_POLICY_JSON",
  historyDays: "BRIDGE_HISTORY_DAYS",
} as const;

export function readScalerConfig(env: Record<string, string | undefined>): ScalerConfig {
  const missing = (["groupName", "hookName", "fleetName", "fleetRegion"] as const).filter((k) => !env[SCALER_ENV[k]]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.map((k) => SCALER_ENV[k]).join(", ")}`);
  let partial: Partial<BridgePolicy> = {};
  try {
    partial = JSON.parse(env[SCALER_ENV.policy] ?? "{}") as Partial<BridgePolicy>;
  } catch (e) {
    throw new Error(`${SCALER_ENV.policy} is not JSON: ${(e as Error).message}`);
  }
  const historyDays = Number(env[SCALER_ENV.historyDays] ?? "7");
  if (!Number.isInteger(historyDays) || historyDays < 0 || historyDays > 14)
    throw new Error(`${SCALER_ENV.historyDays} must be an integer from 0 to 14, got "${env[SCALER_ENV.historyDays]}"`);
  return {
    groupName: env[SCALER_ENV.groupName] as string,
    hookName: env[SCALER_ENV.hookName] as string,
    fleetName: env[SCALER_ENV.fleetName] as string,
    fleetRegion: env[SCALER_ENV.fleetRegion] as string,
    policy: resolveBridgePolicy(partial),
    historyDays,
  };
}

export interface Clients {
  readonly asg: AutoScalingClient;
  readonly cw: CloudWatchClient;
}

// ---------------------------------------------------------------------------------------------------------------
// Gather

const LAUNCH = /^Launching a new EC2 instance(?: from warm pool)?: (i-[0-9a-f]+)/;
const WARM_LAUNCH = /into warm pool/i;
const TERMINATE = /^Terminating EC2 instance: (i-[0-9a-f]+)/;
const MINUTE = 60;
/** GetMetricData accepts at most 500 queries per call. */
const MAX_QUERIES = 500;
/** Pages read from one paginated API at most (bounded loops). */
const MAX_PAGES = 20;

interface ActivityFacts {
  launchS: Map<string, number>;
  terminateS: Map<string, number>;
  lastLaunchS?: number;
  lastTerminateS?: number;
}

async function activityFacts(asg: AutoScalingClient, group: string): Promise<ActivityFacts> {
  const out = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, MaxRecords: 100 }));
  const facts: ActivityFacts = { launchS: new Map(), terminateS: new Map() };
  for (const a of out.Activities ?? []) {
    if (!a.StartTime || !a.Description) continue;
    const t = Math.floor(a.StartTime.getTime() / 1000);
    const launch = LAUNCH.exec(a.Description);
    if (launch && !WARM_LAUNCH.test(a.Description)) {
      if (!facts.launchS.has(launch[1]) || t > (facts.launchS.get(launch[1]) as number)) facts.launchS.set(launch[1], t);
      facts.lastLaunchS = Math.max(facts.lastLaunchS ?? t, t);
    }
    const term = TERMINATE.exec(a.Description);
    if (term) {
      if (!facts.terminateS.has(term[1]) || t > (facts.terminateS.get(term[1]) as number)) facts.terminateS.set(term[1], t);
      facts.lastTerminateS = Math.max(facts.lastTerminateS ?? t, t);
    }
  }
  return facts;
}

async function metricData(cw: CloudWatchClient, queries: MetricDataQuery[], startS: number, endS: number): Promise<Map<string, { t: number; v: number }[]>> {
  const series = new Map<string, { t: number; v: number }[]>();
  for (let i = 0; i < queries.length; i += MAX_QUERIES) {
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await cw.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(i, i + MAX_QUERIES),
          StartTime: new Date(startS * 1000),
          EndTime: new Date(endS * 1000),
          NextToken: token,
        }),
      );
      for (const r of out.MetricDataResults ?? []) {
        const list = series.get(r.Id ?? "") ?? [];
        (r.Timestamps ?? []).forEach((ts, k) => list.push({ t: Math.floor(ts.getTime() / 1000), v: (r.Values ?? [])[k] }));
        series.set(r.Id ?? "", list);
      }
      token = out.NextToken;
      if (!token) break;
    }
  }
  return series;
}

function participantsQuery(id: string, cfg: ScalerConfig, stat: "Sum" | "Maximum", instanceId?: string): MetricDataQuery {
  const m = BRIDGE_METRICS.participants;
  const dims = [
    { Name: DIM.Region, Value: cfg.fleetRegion },
    { Name: DIM.Fleet, Value: cfg.fleetName },
    ...(instanceId ? [{ Name: DIM.InstanceId, Value: instanceId }] : []),
  ];
  return { Id: id, MetricStat: { Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: dims }, Period: MINUTE, Stat: stat }, ReturnData: true };
}

/** Per-minute fleet totals ending at the newest published minute (null where CloudWatch has none). */
export function minuteSeries(points: readonly { t: number; v: number }[], nowS: number, minutes: number, maxAgeS: number): (number | null)[] {
  const byMinute = new Map(points.map((p) => [p.t, p.v]));
  const newest = points.reduce((m, p) => Math.max(m, p.t), -Infinity);
  // A datapoint is stamped with its period's start; the period ends a minute later.
  const end = Number.isFinite(newest) && nowS - (newest + MINUTE) <= maxAgeS ? newest : Math.floor(nowS / MINUTE) * MINUTE - MINUTE;
  const out: (number | null)[] = [];
  for (let k = minutes - 1; k >= 0; k--) out.push(byMinute.get(end - k * MINUTE) ?? null);
  return out;
}

/** For each previous day (newest first), the highest fleet total in [now, now + horizon] at that time of day. */
export function previousDaysPeaks(points: readonly { t: number; v: number }[], nowS: number, days: number, horizonS: number): number[] {
  const peaks: number[] = [];
  for (let d = 1; d <= days; d++) {
    const from = nowS - d * 86400;
    const inWindow = points.filter((p) => p.t >= from - MINUTE && p.t <= from + horizonS).map((p) => p.v);
    if (inWindow.length > 0) peaks.push(Math.max(...inWindow));
  }
  return peaks;
}

export async function gatherState(c: Clients, cfg: ScalerConfig, nowS: number): Promise<BridgeFleetState> {
  const groups = await c.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [cfg.groupName] }));
  const group = groups.AutoScalingGroups?.[0];
  if (!group) throw new Error(`auto scaling group ${cfg.groupName} not found`);
  const facts = await activityFacts(c.asg, cfg.groupName);

  const warm: { id: string; state: AsgLifecycleState }[] = [];
  if (group.WarmPoolConfiguration) {
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await c.asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: cfg.groupName, NextToken: token }));
      for (const i of out.Instances ?? []) if (i.InstanceId) warm.push({ id: i.InstanceId, state: i.LifecycleState as AsgLifecycleState });
      token = out.NextToken;
      if (!token) break;
    }
  }

  const members = (group.Instances ?? []).filter((i) => i.InstanceId);
  const watched = members.filter((i) => i.LifecycleState === "InService" || String(i.LifecycleState).startsWith("Terminating"));
  const p = cfg.policy;
  // Per-bridge: the newest minute within the freshness limit (older samples are stale for decide anyway).
  const recent = await metricData(
    c.cw,
    watched.map((i, k) => participantsQuery(`b${k}`, cfg, "Maximum", i.InstanceId)),
    nowS - p.maxSampleAgeS - 2 * MINUTE,
    nowS,
  );
  const minutes = Math.max(Math.ceil(p.scaleInStableS / MINUTE), p.trendMinutes + 1);
  const horizonS = p.bootS + p.metricDelayS + p.scheduleS;
  const historyStart = nowS - Math.max(cfg.historyDays * 86400, (minutes + 5) * MINUTE);
  const fleet = (await metricData(c.cw, [participantsQuery("fleet", cfg, "Sum")], historyStart, nowS)).get("fleet") ?? [];

  const sampleOf = (k: number) => {
    const pts = recent.get(`b${k}`) ?? [];
    if (pts.length === 0) return undefined;
    const newest = pts.reduce((a, b) => (b.t > a.t ? b : a));
    return { timestampS: newest.t + MINUTE, participants: newest.v };
  };
  const instances: BridgeInstance[] = [
    ...members.map((i): BridgeInstance => {
      const id = i.InstanceId as string;
      const k = watched.indexOf(i);
      const terminating = String(i.LifecycleState).startsWith("Terminating");
      return {
        instanceId: id,
        lifecycleState: i.LifecycleState as AsgLifecycleState,
        protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
        launchTimeS: facts.launchS.get(id) ?? 0,
        sample: k >= 0 ? sampleOf(k) : undefined,
        drainStartedS: terminating ? facts.terminateS.get(id) : undefined,
      };
    }),
    ...warm.map((w): BridgeInstance => ({ instanceId: w.id, lifecycleState: w.state, protectedFromScaleIn: false, launchTimeS: facts.launchS.get(w.id) ?? 0 })),
  ];
  return {
    desiredCapacity: group.DesiredCapacity ?? 0,
    instances,
    fleetParticipantsPerMinute: minuteSeries(fleet, nowS, minutes, p.maxSampleAgeS),
    previousDaysUpcomingPeak: previousDaysPeaks(fleet, nowS, cfg.historyDays, horizonS),
    lastScaleOutS: facts.lastLaunchS,
    lastScaleInS: facts.lastTerminateS,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Apply

export interface ApplyReport {
  /** Calls made, e.g. "SetDesiredCapacity 7". */
  readonly calls: string[];
  /** Calls that failed unexpectedly (the invocation then fails, so the Lambda Errors metric shows it). */
  readonly errors: string[];
  /** Expected failures (the bridge's own agent was first). */
  readonly tolerated: string[];
}

/** A lifecycle call on an instance whose action is already completed fails with ValidationError. */
function noActiveLifecycleAction(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  return err.name === "ValidationError" && /lifecycle action/i.test(err.message ?? "");
}

export async function applyDecision(c: Clients, cfg: ScalerConfig, d: BridgeDecision): Promise<ApplyReport> {
  const report = { calls: [] as string[], errors: [] as string[], tolerated: [] as string[] };
  const call = async (what: string, fn: () => Promise<unknown>, tolerate: (e: unknown) => boolean = () => false) => {
    try {
      await fn();
      report.calls.push(what);
    } catch (e) {
      (tolerate(e) ? report.tolerated : report.errors).push(`${what}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  };
  const group = { AutoScalingGroupName: cfg.groupName };
  const protection = async (ids: readonly string[], on: boolean) => {
    // SetInstanceProtection takes at most 50 instance ids per call.
    for (let i = 0; i < ids.length; i += 50) {
      const batch = ids.slice(i, i + 50);
      await call(`SetInstanceProtection ${on} ${batch.join(",")}`, () =>
        c.asg.send(new SetInstanceProtectionCommand({ ...group, InstanceIds: batch, ProtectedFromScaleIn: on })),
      );
    }
  };
  await protection(d.protect, true);
  await protection(d.unprotect, false);
  for (const id of d.drain)
    // Decrementing desired capacity makes this a scale-in; the terminating lifecycle hook holds it while it drains.
    await call(`TerminateInstanceInAutoScalingGroup ${id}`, () =>
      c.asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: id, ShouldDecrementDesiredCapacity: true })),
    );
  if (d.change === "out")
    await call(`SetDesiredCapacity ${d.desiredCapacity}`, () =>
      c.asg.send(new SetDesiredCapacityCommand({ ...group, DesiredCapacity: d.desiredCapacity, HonorCooldown: false })),
    );
  const lifecycle = { ...group, LifecycleHookName: cfg.hookName };
  for (const r of d.release)
    await call(
      `CompleteLifecycleAction ${r.instanceId} (${r.reason})`,
      () => c.asg.send(new CompleteLifecycleActionCommand({ ...lifecycle, InstanceId: r.instanceId, LifecycleActionResult: "CONTINUE" })),
      noActiveLifecycleAction,
    );
  for (const id of d.keepDraining)
    await call(`RecordLifecycleActionHeartbeat ${id}`, () => c.asg.send(new RecordLifecycleActionHeartbeatCommand({ ...lifecycle, InstanceId: id })), noActiveLifecycleAction);
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// Entry

export interface ScalerRun {
  readonly decision: BridgeDecision;
  readonly report: ApplyReport;
}

/** One scaling round at `nowS`; throws after applying what it could when a call failed unexpectedly. */
export async function runScaler(c: Clients, cfg: ScalerConfig, nowS: number, log: (line: string) => void = console.log): Promise<ScalerRun> {
  const state = await gatherState(c, cfg, nowS);
  const decision = decideBridgeCapacity(state, cfg.policy, nowS);
  const report = await applyDecision(c, cfg, decision);
  log(JSON.stringify({ event: "bridge-scaler", group: cfg.groupName, change: decision.change, desired: decision.desiredCapacity, reason: decision.reason, estimate: decision.estimate, ...report }));
  if (report.errors.length > 0) throw new Error(`bridge scaler: ${report.errors.length} call(s) failed: ${report.errors.join("; ")}`);
  return { decision, report };
}

/** The Lambda entry (EventBridge schedule event ignored): clients are created per cold start. */
let clients: Clients | undefined;
export async function handler(): Promise<ScalerRun> {
  const cfg = readScalerConfig(process.env);
  clients ??= { asg: new AutoScalingClient({}), cw: new CloudWatchClient({}) };
  return runScaler(clients, cfg, Math.floor(Date.now() / 1000));
}
