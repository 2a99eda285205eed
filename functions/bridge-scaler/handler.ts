/**
 * The bridge scaler's AWS adapter (runs once a minute from EventBridge): gather the fleet's state, call the pure
 * `decideBridgeCapacity` (decide.ts), apply the decision. No decision logic here.
 *
 * State sources (all read-only, least privilege in index.ts):
 * - DescribeAutoScalingGroups: desired capacity, instances, lifecycle states, scale-in protection;
 *   DescribeWarmPool when the group has one (warm instances shorten the lead time).
 * - DescribeScalingActivities (newest 100): when each instance was launched, the group's last launch (scale-out
 *   memory) and last termination. Kept by AWS, so the scaler needs no state store of its own.
 * - DescribeTags: the drain tag (protocol.ts) of draining bridges and booting reserves: when each drain began;
 *   with the last termination it is the scale-in memory (a reserve's tag counts too, so scaleInCooldownS also
 *   follows a reserve: the serving bridges had enough then).
 * - The live read (when the function runs in the VPC, `BRIDGE_LIVE_PORT` set): DescribeInstances for the private
 *   addresses of the InService and terminating bridges, then GET protocol.ts LIVE_PATH on each (agents/bridge-live.ts,
 *   JVB's own count now), all at once, 2 s each. Their sum is decide()'s `liveParticipants` only when every InService
 *   bridge answered (a terminating one that does not, its JVB shutting down, counts its last CloudWatch sample: a
 *   leaving bridge only loses people); otherwise the run uses CloudWatch alone, as without the VPC.
 * - CloudWatch GetMetricData on metrics/catalog.ts BRIDGE_METRICS.participants: the fleet total per minute
 *   (dimensions Region+Fleet, Sum) over `historyDays` days for trend and time-of-day profile, and each bridge's
 *   newest per-minute value (Region+Fleet+InstanceId, Maximum); SHARD_METRICS.participants (Region, Sum), the
 *   demand Jicofo sees even when no bridge is up.
 *
 * Apply order (decide.ts): protect; undrain (delete the tag); drain and reserve (tag with now); terminate (unprotect, then
 * TerminateInstanceInAutoScalingGroup decrementing desired capacity: the terminating lifecycle hook holds the
 * bridge while its agent finishes the drain); SetDesiredCapacity for a scale-out. Every call is attempted; the
 * invocation fails afterwards if any failed, so the Lambda Errors metric shows it.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, DescribeTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { BRIDGE_METRICS, DIM, SHARD_METRICS } from "../../metrics/catalog";
import {
  AsgLifecycleState,
  BridgeDecision,
  BridgeFleetState,
  BridgeInstance,
  BridgePolicy,
  decideBridgeCapacity,
  fleetHistoryMinutes,
  resolveBridgePolicy,
} from "./decide";
import { DRAIN_TAG, LIVE_PATH, parseDrainTag, parseLiveReply } from "./protocol";

/** What the function is told through its environment (no secrets). */
export interface ScalerConfig {
  readonly groupName: string;
  readonly fleetName: string;
  /** Value of the Region dimension the publishers use. */
  readonly fleetRegion: string;
  readonly policy: BridgePolicy;
  /** Days of fleet history read for the time-of-day profile (1-min data is kept 15 days by CloudWatch). */
  readonly historyDays: number;
  /** Port of the bridges' live-read responder (config/ports.ts PORTS.bridgeLive); absent = no live read. */
  readonly livePort?: number;
}

/** Environment variable names (index.ts sets them). */
export const SCALER_ENV = {
  groupName: "BRIDGE_GROUP_NAME",
  fleetName: "BRIDGE_FLEET_NAME",
  fleetRegion: "BRIDGE_FLEET_REGION",
  policy: "BRIDGE_POLICY_JSON",
  historyDays: "BRIDGE_HISTORY_DAYS",
  livePort: "BRIDGE_LIVE_PORT",
} as const;

export function readScalerConfig(env: Record<string, string | undefined>): ScalerConfig {
  const missing = (["groupName", "fleetName", "fleetRegion"] as const).filter((k) => !env[SCALER_ENV[k]]);
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
  const liveText = env[SCALER_ENV.livePort];
  const livePort = liveText === undefined || liveText === "" ? undefined : Number(liveText);
  if (livePort !== undefined && !(Number.isInteger(livePort) && livePort >= 1 && livePort <= 65535))
    throw new Error(`${SCALER_ENV.livePort} must be a port from 1 to 65535, got "${liveText}"`);
  return {
    groupName: env[SCALER_ENV.groupName] as string,
    fleetName: env[SCALER_ENV.fleetName] as string,
    fleetRegion: env[SCALER_ENV.fleetRegion] as string,
    policy: resolveBridgePolicy(partial),
    historyDays,
    ...(livePort !== undefined ? { livePort } : {}),
  };
}

/** One HTTP GET: status and body, or a thrown error (refused, timed out). */
export type HttpGet = (url: string, timeoutMs: number) => Promise<{ status: number; body: string }>;

/** The Node.js 22 runtime's fetch, bounded by `timeoutMs`. */
export const fetchGet: HttpGet = async (url, timeoutMs) => {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, body: await r.text() };
};

export interface Clients {
  readonly asg: AutoScalingClient;
  readonly cw: CloudWatchClient;
  readonly ec2: EC2Client;
  /** For the live read; {@link fetchGet} unless a test passes its own. */
  readonly http?: HttpGet;
}

/** How long one bridge may take to answer the live read (a run has 50 s; the reads go out at once). */
export const LIVE_TIMEOUT_MS = 2000;

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
  lastLaunchS?: number;
  lastTerminateS?: number;
}

async function activityFacts(asg: AutoScalingClient, group: string): Promise<ActivityFacts> {
  const out = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, MaxRecords: 100 }));
  const facts: ActivityFacts = { launchS: new Map() };
  for (const a of out.Activities ?? []) {
    if (!a.StartTime || !a.Description) continue;
    const t = Math.floor(a.StartTime.getTime() / 1000);
    const launch = LAUNCH.exec(a.Description);
    if (launch && !WARM_LAUNCH.test(a.Description)) {
      if (!facts.launchS.has(launch[1]) || t > (facts.launchS.get(launch[1]) as number)) facts.launchS.set(launch[1], t);
      facts.lastLaunchS = Math.max(facts.lastLaunchS ?? t, t);
    }
    const term = TERMINATE.exec(a.Description);
    if (term) facts.lastTerminateS = Math.max(facts.lastTerminateS ?? t, t);
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

/** SHARD_METRICS.participants summed over the region's shards (the [Region] dimension set every shard publishes). */
function shardParticipantsQuery(id: string, cfg: ScalerConfig): MetricDataQuery {
  const m = SHARD_METRICS.participants;
  return { Id: id, MetricStat: { Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: [{ Name: DIM.Region, Value: cfg.fleetRegion }] }, Period: MINUTE, Stat: "Sum" }, ReturnData: true };
}

function participantsQuery(id: string, cfg: ScalerConfig, stat: "Sum" | "Maximum", instanceId?: string, metric: typeof BRIDGE_METRICS.participants | typeof BRIDGE_METRICS.conferences = BRIDGE_METRICS.participants): MetricDataQuery {
  const m = metric;
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

/**
 * For each previous day with data (newest first): the highest fleet total in [now, now + horizon] at that time of day,
 * and the level it started from (the first datapoint of that window), so decide() can scale the day's rise to today.
 */
export function previousDaysProfile(points: readonly { t: number; v: number }[], nowS: number, days: number, horizonS: number): { upcomingPeak: number[]; level: number[] } {
  const upcomingPeak: number[] = [];
  const level: number[] = [];
  for (let d = 1; d <= days; d++) {
    const from = nowS - d * 86400;
    const inWindow = points.filter((p) => p.t >= from - MINUTE && p.t <= from + horizonS).sort((a, b) => a.t - b.t);
    if (inWindow.length === 0) continue;
    upcomingPeak.push(Math.max(...inWindow.map((p) => p.v)));
    level.push(inWindow[0].v);
  }
  return { upcomingPeak, level };
}

/** Drain tags of the group's instances (DescribeTags, key filter; paginated, bounded). */
async function drainTags(ec2: EC2Client, members: ReadonlySet<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await ec2.send(
      new DescribeTagsCommand({
        Filters: [{ Name: "key", Values: [DRAIN_TAG] }, { Name: "resource-type", Values: ["instance"] }],
        MaxResults: 1000,
        NextToken: token,
      }),
    );
    for (const t of r.Tags ?? []) {
      const v = parseDrainTag(t.Value);
      if (t.ResourceId && members.has(t.ResourceId) && v !== undefined) out.set(t.ResourceId, v);
    }
    token = r.NextToken;
    if (!token) break;
  }
  return out;
}

/**
 * The live read: every listed bridge's participants now, summed, or undefined unless every one answered with a valid
 * count (a missing bridge would make the fleet look emptier than it is, and the scaler drain on it). A bridge in
 * `leaving` (terminating: its JVB may already be shutting down) that does not answer counts the number given there,
 * its last CloudWatch sample (it only loses people). `log` gets one line naming the bridges that did not answer.
 */
export async function readLiveParticipants(
  c: Clients,
  port: number,
  instanceIds: readonly string[],
  log: (line: string) => void = console.log,
  leaving: ReadonlyMap<string, number> = new Map(),
): Promise<number | undefined> {
  if (instanceIds.length === 0) return 0;
  const ips = new Map<string, string>();
  // DescribeInstances takes up to 1000 instance ids; a fleet holds at most maxBridges (≤ 1000) plus a few leaving.
  for (let i = 0; i < instanceIds.length; i += 1000) {
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds.slice(i, i + 1000), NextToken: token }));
      for (const r of out.Reservations ?? []) for (const x of r.Instances ?? []) if (x.InstanceId && x.PrivateIpAddress) ips.set(x.InstanceId, x.PrivateIpAddress);
      token = out.NextToken;
      if (!token) break;
    }
  }
  const get = c.http ?? fetchGet;
  const answers = await Promise.all(
    instanceIds.map(async (id) => {
      const ip = ips.get(id);
      if (!ip) return { id, why: "no private address" };
      try {
        const r = await get(`http://${ip}:${port}${LIVE_PATH}`, LIVE_TIMEOUT_MS);
        const v = r.status === 200 ? parseLiveReply(r.body) : undefined;
        return v ? { id, participants: v.participants } : { id, why: `HTTP ${r.status}` };
      } catch (e) {
        return { id, why: (e as Error).name };
      }
    }),
  );
  const silent = answers.filter((a) => a.participants === undefined);
  if (silent.length > 0) log(JSON.stringify({ event: "bridge-scaler-live-read", unanswered: silent.map((a) => `${a.id}: ${a.why}`) }));
  if (silent.some((a) => !leaving.has(a.id))) return undefined;
  return answers.reduce((s, a) => s + (a.participants ?? leaving.get(a.id) ?? 0), 0);
}

export async function gatherState(c: Clients, cfg: ScalerConfig, nowS: number, log: (line: string) => void = console.log): Promise<BridgeFleetState> {
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
  const drains = await drainTags(c.ec2, new Set(members.map((i) => i.InstanceId as string)));
  const watched = members.filter((i) => i.LifecycleState === "InService" || String(i.LifecycleState).startsWith("Terminating"));
  const p = cfg.policy;
  // Per-bridge: the newest minute within the freshness limit (older samples are stale for decide anyway).
  // Participants and conferences per bridge: decide() picks drain victims by fewest conferences first.
  const recent = await metricData(
    c.cw,
    [
      ...watched.map((i, k) => participantsQuery(`b${k}`, cfg, "Maximum", i.InstanceId)),
      ...watched.map((i, k) => participantsQuery(`c${k}`, cfg, "Maximum", i.InstanceId, BRIDGE_METRICS.conferences)),
      // Jicofo's participants over the region's shards: the only demand signal when the fleet is at zero.
      shardParticipantsQuery("shards", cfg),
    ],
    nowS - p.maxSampleAgeS - 2 * MINUTE,
    nowS,
  );
  // As many minutes of fleet totals as decide() looks back (both half-hour cycles of the seasonal rise, and the three
  // hours over which it replays its own forecast to learn the headroom).
  const minutes = fleetHistoryMinutes(p);
  const historyStart = nowS - Math.max(cfg.historyDays * 86400, (minutes + 5) * MINUTE);
  const fleet = (await metricData(c.cw, [participantsQuery("fleet", cfg, "Sum")], historyStart, nowS)).get("fleet") ?? [];
  const newestShard = (recent.get("shards") ?? []).filter((s) => nowS - (s.t + MINUTE) <= p.maxSampleAgeS).sort((a, b) => b.t - a.t)[0];

  const sampleOf = (k: number) => {
    const pts = recent.get(`b${k}`) ?? [];
    if (pts.length === 0) return undefined;
    const newest = pts.reduce((a, b) => (b.t > a.t ? b : a));
    const conf = (recent.get(`c${k}`) ?? []).find((x) => x.t === newest.t);
    return { timestampS: newest.t + MINUTE, participants: newest.v, ...(conf ? { conferences: conf.v } : {}) };
  };
  const instances: BridgeInstance[] = [
    ...members.map((i): BridgeInstance => {
      const id = i.InstanceId as string;
      const k = watched.indexOf(i);
      return {
        instanceId: id,
        lifecycleState: i.LifecycleState as AsgLifecycleState,
        protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
        launchTimeS: facts.launchS.get(id) ?? 0,
        sample: k >= 0 ? sampleOf(k) : undefined,
        drainStartedS: drains.get(id),
      };
    }),
    ...warm.map((w): BridgeInstance => ({ instanceId: w.id, lifecycleState: w.state, protectedFromScaleIn: false, launchTimeS: facts.launchS.get(w.id) ?? 0 })),
  ];
  // Scale-in memory: the newest drain still tagged, or the last termination (a drained bridge that already left).
  const lastDrain = [...drains.values()].reduce<number | undefined>((m, v) => Math.max(m ?? v, v), undefined);
  const lastScaleInS = lastDrain === undefined ? facts.lastTerminateS : Math.max(lastDrain, facts.lastTerminateS ?? lastDrain);
  const history = previousDaysProfile(fleet, nowS, cfg.historyDays, p.profileHorizonS);
  const leavingSamples = new Map<string, number>();
  watched.forEach((i, k) => {
    const s = sampleOf(k);
    if (String(i.LifecycleState).startsWith("Terminating") && s) leavingSamples.set(i.InstanceId as string, s.participants);
  });
  const liveParticipants =
    cfg.livePort === undefined ? undefined : await readLiveParticipants(c, cfg.livePort, watched.map((i) => i.InstanceId as string), log, leavingSamples);
  return {
    desiredCapacity: group.DesiredCapacity ?? 0,
    instances,
    fleetParticipantsPerMinute: minuteSeries(fleet, nowS, minutes, p.maxSampleAgeS),
    previousDaysUpcomingPeak: history.upcomingPeak,
    previousDaysLevel: history.level,
    shardParticipants: newestShard?.v,
    ...(liveParticipants !== undefined ? { liveParticipants } : {}),
    lastScaleOutS: facts.lastLaunchS,
    lastScaleInS,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Apply

export interface ApplyReport {
  /** Calls made, e.g. "SetDesiredCapacity 7". */
  readonly calls: string[];
  /** Calls that failed (the invocation then fails, so the Lambda Errors metric shows it). */
  readonly errors: string[];
}

export async function applyDecision(c: Clients, cfg: ScalerConfig, d: BridgeDecision, nowS: number): Promise<ApplyReport> {
  const report = { calls: [] as string[], errors: [] as string[] };
  const call = async (what: string, fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn();
      report.calls.push(what);
      return true;
    } catch (e) {
      report.errors.push(`${what}: ${(e as Error).name}: ${(e as Error).message}`);
      return false;
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
  if (d.undrain.length > 0)
    await call(`DeleteTags ${DRAIN_TAG} ${d.undrain.join(",")}`, () => c.ec2.send(new DeleteTagsCommand({ Resources: [...d.undrain], Tags: [{ Key: DRAIN_TAG }] })));
  // A reserve is a booting bridge tagged like a drained one: its agent starts JVB in drain mode (render/jvb-boot.ts).
  const tagged = [...d.drain, ...d.reserve];
  if (tagged.length > 0)
    await call(`CreateTags ${DRAIN_TAG}=${nowS} ${tagged.join(",")}`, () =>
      c.ec2.send(new CreateTagsCommand({ Resources: tagged, Tags: [{ Key: DRAIN_TAG, Value: String(nowS) }] })),
    );
  await protection(d.unprotect, false);
  for (const t of d.terminate)
    // Decrementing desired capacity makes this a scale-in; the terminating lifecycle hook holds the bridge while
    // its agent finishes the drain (agents/jvb-drain.ts).
    await call(`TerminateInstanceInAutoScalingGroup ${t.instanceId} (${t.reason})`, () =>
      c.asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: t.instanceId, ShouldDecrementDesiredCapacity: true })),
    );
  if (d.change === "out")
    await call(`SetDesiredCapacity ${d.desiredCapacity}`, () =>
      c.asg.send(new SetDesiredCapacityCommand({ ...group, DesiredCapacity: d.desiredCapacity, HonorCooldown: false })),
    );
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
  const state = await gatherState(c, cfg, nowS, log);
  const decision = decideBridgeCapacity(state, cfg.policy, nowS);
  const report = await applyDecision(c, cfg, decision, nowS);
  log(JSON.stringify({ event: "bridge-scaler", group: cfg.groupName, change: decision.change, desired: decision.desiredCapacity, reason: decision.reason, estimate: decision.estimate, ...report }));
  if (report.errors.length > 0) throw new Error(`bridge scaler: ${report.errors.length} call(s) failed: ${report.errors.join("; ")}`);
  return { decision, report };
}

/** The Lambda entry (EventBridge schedule event ignored): clients are created per cold start. */
let clients: Clients | undefined;
export async function handler(): Promise<ScalerRun> {
  const cfg = readScalerConfig(process.env);
  clients ??= { asg: new AutoScalingClient({}), cw: new CloudWatchClient({}), ec2: new EC2Client({}) };
  return runScaler(clients, cfg, Math.floor(Date.now() / 1000));
}
