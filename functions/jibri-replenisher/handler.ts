/**
 * The replenisher Lambda's AWS adapter: gather the pool (Auto Scaling + the status agents' instance tags and SNS
 * messages, the recording start history and the region's meetings created from CloudWatch) → decideJibriPool (pure)
 * → apply the actions → publish the pool gauges. Runs every minute
 * (EventBridge schedule) and on every status message (SNS), so a replacement starts within seconds of an
 * allocation. Holds no state between runs: everything it needs is in the group and the instances' tags.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DIM, JIBRI_METRICS, NAMESPACE, SHARD_METRICS } from "../../metrics/catalog";
import { decideJibriPool, meetingHistorySeconds, PoolAction, PoolDecision, PoolSnapshot, RecorderInstance, RecorderPhase, resolveReplenishTarget, ReplenishTarget, startHistorySeconds } from "./decide";
import { isRecorderPhase, JIBRI_TAGS, parseStatusMessage, StatusMessage } from "./protocol";

/** Settings the function reads from its environment (plain values; no secret). */
export interface ReplenisherEnv {
  readonly groupName: string;
  readonly pool: string;
  readonly region: string;
  readonly warmPool: boolean;
  readonly target: ReplenishTarget;
}

/** Reads and validates the environment; the error names the variable. */
export function readEnv(env: Record<string, string | undefined>): ReplenisherEnv {
  const need = (k: string): string => {
    const v = env[k];
    if (!v) throw new Error(`environment variable ${k} is required`);
    return v;
  };
  let partial: Partial<ReplenishTarget>;
  try {
    partial = JSON.parse(env.JIBRI_TARGET ?? "{}") as Partial<ReplenishTarget>;
  } catch {
    throw new Error("environment variable JIBRI_TARGET must be a JSON object of ReplenishTarget fields");
  }
  return {
    groupName: need("JIBRI_GROUP"),
    pool: need("JIBRI_POOL"),
    region: need("AWS_REGION"),
    warmPool: env.JIBRI_WARM_POOL === "true",
    target: resolveReplenishTarget(partial),
  };
}

/** The parts of the Auto Scaling and EC2 answers the snapshot needs (kept narrow so tests build them easily). */
export interface GroupView {
  readonly desired: number;
  readonly min: number;
  readonly max: number;
  readonly instances: readonly { id: string; lifecycleState: string; protectedFromScaleIn: boolean; healthy: boolean }[];
  readonly warm: readonly { id: string; lifecycleState: string }[];
}
export interface InstanceView {
  readonly launchedAt: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** Phase of a group instance from its lifecycle state and, once InService, the agent's tags. */
export function phaseFromAsg(lifecycleState: string, healthy: boolean, tagPhase: string | undefined): RecorderPhase {
  if (!healthy) return "leaving"; // the ASG replaces an unhealthy instance by itself
  if (lifecycleState.startsWith("Warmed:")) return lifecycleState.startsWith("Warmed:Pending") || lifecycleState.startsWith("Warmed:Terminat") ? "leaving" : "warm";
  if (lifecycleState.startsWith("Pending")) return "booting";
  if (lifecycleState === "InService") return isRecorderPhase(tagPhase) ? tagPhase : "booting";
  return "leaving"; // Terminating*, Detaching, Standby, ...
}

/**
 * The snapshot decide() reads. `messages` are status messages of this invocation: newer than a tag (tags are
 * eventually consistent), they win. Times are Unix seconds.
 */
export function buildSnapshot(group: GroupView, instances: ReadonlyMap<string, InstanceView>, messages: readonly StatusMessage[]): PoolSnapshot {
  const latest = new Map<string, StatusMessage>();
  for (const m of messages) if ((latest.get(m.instanceId)?.since ?? -1) <= m.since) latest.set(m.instanceId, m);
  const recentStarts: number[] = [];
  const recorders: RecorderInstance[] = [];
  for (const g of group.instances) {
    const ec2 = instances.get(g.id);
    const launchedAt = ec2?.launchedAt ?? 0;
    let phase = phaseFromAsg(g.lifecycleState, g.healthy, ec2?.tags[JIBRI_TAGS.phase]);
    let phaseSince = Number(ec2?.tags[JIBRI_TAGS.phaseSince] ?? launchedAt) || launchedAt;
    const m = latest.get(g.id);
    if (m && g.lifecycleState === "InService" && g.healthy && m.since >= phaseSince) {
      phase = m.phase;
      phaseSince = m.since;
    }
    const lastBusy = Number(ec2?.tags[JIBRI_TAGS.lastBusyAt]);
    if (Number.isFinite(lastBusy) && lastBusy > 0) recentStarts.push(lastBusy);
    if (m?.phase === "busy" && m.since !== lastBusy) recentStarts.push(m.since);
    recorders.push({ id: g.id, phase, launchedAt, phaseSince, protectedFromScaleIn: g.protectedFromScaleIn });
  }
  for (const w of group.warm) {
    const launchedAt = instances.get(w.id)?.launchedAt ?? 0;
    recorders.push({ id: w.id, phase: phaseFromAsg(w.lifecycleState, true, undefined), launchedAt, phaseSince: launchedAt, protectedFromScaleIn: false });
  }
  return { desiredCapacity: group.desired, minSize: group.min, maxSize: group.max, recorders, recentStarts };
}

export interface Clients {
  readonly autoscaling: AutoScalingClient;
  readonly ec2: EC2Client;
  readonly cloudwatch: CloudWatchClient;
}

async function describeGroup(c: Clients, env: ReplenisherEnv): Promise<GroupView> {
  const res = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [env.groupName] }));
  const g = res.AutoScalingGroups?.[0];
  if (!g) throw new Error(`Auto Scaling group ${env.groupName} not found`);
  let warm: GroupView["warm"] = [];
  if (env.warmPool) {
    const w = await c.autoscaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: env.groupName, MaxRecords: 100 }));
    warm = (w.Instances ?? []).map((i) => ({ id: i.InstanceId ?? "", lifecycleState: i.LifecycleState ?? "" }));
  }
  return {
    desired: g.DesiredCapacity ?? 0,
    min: g.MinSize ?? 0,
    max: g.MaxSize ?? 0,
    instances: (g.Instances ?? []).map((i) => ({ id: i.InstanceId ?? "", lifecycleState: i.LifecycleState ?? "", protectedFromScaleIn: i.ProtectedFromScaleIn ?? false, healthy: i.HealthStatus !== "Unhealthy" })),
    warm,
  };
}

async function describeInstances(c: Clients, ids: readonly string[]): Promise<Map<string, InstanceView>> {
  const out = new Map<string, InstanceView>();
  // DescribeInstances takes up to 1000 ids per call; a pool is far smaller, but stay within the limit.
  for (let i = 0; i < ids.length; i += 1000) {
    let token: string | undefined;
    do {
      const res = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids.slice(i, i + 1000), NextToken: token }));
      for (const r of res.Reservations ?? [])
        for (const inst of r.Instances ?? []) {
          const tags: Record<string, string> = {};
          for (const t of inst.Tags ?? []) if (t.Key && t.Value !== undefined) tags[t.Key] = t.Value;
          out.set(inst.InstanceId ?? "", { launchedAt: Math.floor((inst.LaunchTime?.getTime() ?? 0) / 1000), tags });
        }
      token = res.NextToken;
    } while (token);
  }
  return out;
}

/** Applies the actions in order; one failure is logged and does not stop the others. Returns the failures. */
export async function applyActions(c: Clients, groupName: string, actions: readonly PoolAction[], log: (e: string, f?: Record<string, unknown>) => void): Promise<number> {
  let failures = 0;
  for (const a of actions) {
    try {
      if (a.kind === "setDesired") await c.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: groupName, DesiredCapacity: a.desired, HonorCooldown: false }));
      else if (a.kind === "terminate") await c.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: a.instanceId, ShouldDecrementDesiredCapacity: a.decrementDesired }));
      else await c.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: groupName, InstanceIds: [a.instanceId], ProtectedFromScaleIn: a.kind === "protect" }));
      log("jibri-replenisher-action", { ...a });
    } catch (e) {
      failures++;
      log("jibri-replenisher-action-failed", { ...a, error: (e as Error).message });
    }
  }
  return failures;
}

const poolDims = (env: ReplenisherEnv) => [{ Name: "Region", Value: env.region }, { Name: "Pool", Value: env.pool }];

/** Pool gauges, plus the starts this run learnt from status messages (the history the next runs read back). */
async function publishGauges(c: Clients, env: ReplenisherEnv, d: PoolDecision, starts: number, at: Date): Promise<void> {
  const dims = poolDims(env);
  const data: MetricDatum[] = [
    { MetricName: JIBRI_METRICS.uploading.name, Unit: JIBRI_METRICS.uploading.unit, Value: d.summary.uploading, Dimensions: dims, Timestamp: at },
    { MetricName: JIBRI_METRICS.idleWanted.name, Unit: JIBRI_METRICS.idleWanted.unit, Value: d.summary.wantIdle, Dimensions: dims, Timestamp: at },
  ];
  if (starts > 0) data.push({ MetricName: JIBRI_METRICS.recordingStarts.name, Unit: JIBRI_METRICS.recordingStarts.unit, Value: starts, Dimensions: dims, Timestamp: at });
  await c.cloudwatch.send(new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData: data }));
}

/** Starts older than this come from the metric; newer ones from the instances' tags and this run's messages. */
export const TAG_HISTORY_SECONDS = 600;

/**
 * Start history for the seasonal forecast (decide.ts startRate): JibriRecordingStarts per minute over the last
 * startHistorySeconds + lead, each count spread as that many starts at the minute's middle. Only minutes older than
 * TAG_HISTORY_SECONDS are used (the recent ones come exactly from tags), so nothing is counted twice.
 */
export async function metricStartHistory(c: Clients, env: ReplenisherEnv, nowS: number): Promise<number[]> {
  const from = nowS - startHistorySeconds(env.target) - env.target.leadTimeSeconds;
  const res = await c.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(from * 1000),
      EndTime: new Date((nowS - TAG_HISTORY_SECONDS) * 1000),
      MetricDataQueries: [
        {
          Id: "starts",
          MetricStat: { Metric: { Namespace: NAMESPACE, MetricName: JIBRI_METRICS.recordingStarts.name, Dimensions: poolDims(env) }, Period: 60, Stat: "Sum" },
        },
      ],
    }),
  );
  return spreadPerMinute(res.MetricDataResults?.[0]).filter((t) => t <= nowS - TAG_HISTORY_SECONDS);
}

/** Per-minute counts (a GetMetricData result, each datapoint stamped with its minute's start) as that many times at the minute's middle. */
function spreadPerMinute(r: { Timestamps?: Date[]; Values?: number[] } | undefined): number[] {
  const out: number[] = [];
  (r?.Timestamps ?? []).forEach((ts, i) => {
    const t = Math.floor(ts.getTime() / 1000) + 30;
    for (let k = 0; k < Math.round(r?.Values?.[i] ?? 0); k++) out.push(t);
  });
  return out;
}

/**
 * Meetings created in the region (SHARD_METRICS.conferencesCreated per minute, Sum over [Region]) over the last
 * meetingHistorySeconds (the share window and the trim hold), each count spread as that many meetings at the minute's
 * middle; `throughS` is the end of the newest minute published. Undefined when the shards publish none (e.g. a Jicofo without the counter): the
 * buffer then follows the recording starts alone.
 */
export async function metricMeetingStarts(c: Clients, env: ReplenisherEnv, nowS: number): Promise<PoolSnapshot["meetingStarts"]> {
  const m = SHARD_METRICS.conferencesCreated;
  const res = await c.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date((nowS - meetingHistorySeconds(env.target) - 300) * 1000),
      EndTime: new Date(nowS * 1000),
      MetricDataQueries: [
        { Id: "meetings", MetricStat: { Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: [{ Name: DIM.Region, Value: env.region }] }, Period: 60, Stat: "Sum" } },
      ],
    }),
  );
  const r = res.MetricDataResults?.find((x) => x.Id === "meetings");
  const stamps = r?.Timestamps ?? [];
  if (stamps.length === 0) return undefined;
  // The newest minute ends a minute after its stamp.
  return { times: spreadPerMinute(r), throughS: Math.max(...stamps.map((ts) => Math.floor(ts.getTime() / 1000))) + 60 };
}

/** SNS records (status messages) or a scheduled event (no records). */
export interface ReplenishEvent {
  readonly Records?: readonly { readonly Sns?: { readonly Message?: string } }[];
}

export interface ReplenishResult {
  readonly trigger: "schedule" | "status";
  readonly decision: PoolDecision;
  readonly failedActions: number;
}

/** One run: gather, decide, apply, publish. `now` in milliseconds (Date.now in the Lambda). */
export async function replenish(event: ReplenishEvent, env: ReplenisherEnv, c: Clients, now: number, log: (e: string, f?: Record<string, unknown>) => void): Promise<ReplenishResult> {
  const messages = (event.Records ?? []).map((r) => parseStatusMessage(r.Sns?.Message ?? "")).filter((m): m is StatusMessage => m !== undefined && m.group === env.groupName);
  const group = await describeGroup(c, env);
  const ids = [...group.instances.map((i) => i.id), ...group.warm.map((w) => w.id)].filter(Boolean);
  const instances = ids.length > 0 ? await describeInstances(c, ids) : new Map<string, InstanceView>();
  const nowS = Math.floor(now / 1000);
  const recent = buildSnapshot(group, instances, messages);
  let history: number[] = [];
  try {
    history = await metricStartHistory(c, env, nowS);
  } catch (e) {
    // Without history the buffer still follows the recent rate; the run goes on.
    log("jibri-replenisher-history-failed", { error: (e as Error).message });
  }
  let meetingStarts: PoolSnapshot["meetingStarts"];
  try {
    meetingStarts = await metricMeetingStarts(c, env, nowS);
  } catch (e) {
    log("jibri-replenisher-meetings-failed", { error: (e as Error).message });
  }
  const snapshot: PoolSnapshot = {
    ...recent,
    recentStarts: [...history, ...recent.recentStarts.filter((t) => t > nowS - TAG_HISTORY_SECONDS)],
    ...(meetingStarts ? { meetingStarts } : {}),
  };
  const decision = decideJibriPool(snapshot, env.target, nowS);
  log("jibri-replenisher-decision", { ...decision.summary, actions: decision.actions.length, messages: messages.length });
  const failedActions = await applyActions(c, env.groupName, decision.actions, log);
  try {
    await publishGauges(c, env, decision, messages.filter((m) => m.phase === "busy").length, new Date(now));
  } catch (e) {
    log("jibri-replenisher-metrics-failed", { error: (e as Error).message });
  }
  return { trigger: event.Records?.length ? "status" : "schedule", decision, failedActions };
}

/** The Lambda entry: clients created once per container; a failed action fails the run (Lambda Errors metric). */
export function makeHandler(): (event: ReplenishEvent) => Promise<ReplenishResult> {
  let ctx: { env: ReplenisherEnv; c: Clients } | undefined;
  return async (event) => {
    if (!ctx) {
      const env = readEnv(process.env);
      ctx = { env, c: { autoscaling: new AutoScalingClient({ region: env.region }), ec2: new EC2Client({ region: env.region }), cloudwatch: new CloudWatchClient({ region: env.region }) } };
    }
    const log = (e: string, f: Record<string, unknown> = {}) => console.log(JSON.stringify({ event: e, ...f }));
    const res = await replenish(event, ctx.env, ctx.c, Date.now(), log);
    if (res.failedActions > 0) throw new Error(`${res.failedActions} scaling action(s) failed; see the log`);
    return res;
  };
}
