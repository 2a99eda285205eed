/**
 * Monitoring: one region's CloudWatch view of the deployment — the dashboard, the alarms and the SNS topic
 * they notify, the log groups (with retention) the CloudWatch agent writes to, the agent's config per host
 * role in SSM, and the log metric filters. Metric names come from metrics/catalog.ts; the dashboard body
 * and the alarm list from the pure render/dashboard.ts and metrics/alarms.ts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { LOG_RETENTION_DAYS } from "../config/sections/monitoring";
import { ALARM_DEFAULTS, type AlarmDef, type AlarmThresholds, regionAlarms } from "../metrics/alarms";
import { LOG_METRIC_FILTERS } from "../metrics/log-filters";
import { agentConfigParameterName, HOST_ROLES, type HostRole, LOG_SERVICES, type LogServiceName, logGroupName, renderCloudWatchAgentConfig } from "../render/cloudwatch-agent";
import { type RegionDashboardInput, renderRegionDashboard } from "../render/dashboard";
import { publishRenderedFile } from "./rendered-files";

export interface MonitoredGroup {
  /** Fleet / Pool dimension value: what the hosts pass to publish-metrics as --fleet / --pool. */
  readonly name: string;
  /** The group's auto-scaling group (scaling-action and host widgets). */
  readonly autoScalingGroupName: pulumi.Input<string>;
}

export interface MonitoredFunction {
  /** Stable key used in alarm names, e.g. "bridge-scaler". */
  readonly key: string;
  readonly functionName: pulumi.Input<string>;
}

export interface MonitoringArgs {
  /** Deployment name (plain: log group, parameter, dashboard and alarm names derive from it). */
  readonly deployment: string;
  /** AWS region (plain: the Region dimension value of every series). */
  readonly region: string;
  /** Shard ids of the region (the Shard dimension the shard publishers use). */
  readonly shardIds: string[];
  /** Bridge fleets of the region. @default [] */
  readonly bridgeFleets?: MonitoredGroup[];
  /** Recorder pools of the region. @default [] */
  readonly jibriPools?: MonitoredGroup[];
  /** Whether the region runs coturn (TURN widgets, allocation-failure filter and alarm). @default true */
  readonly turnEnabled?: boolean;
  /** Scaling Lambdas watched for errors, throttles and silence. @default [] */
  readonly scalerFunctions?: MonitoredFunction[];
  /** Other auto-scaling groups whose hosts run the agent (edge, shard, TURN), for host widgets. @default [] */
  readonly otherAutoScalingGroupNames?: pulumi.Input<string>[];
  /** Retention of every log group, in days (a value CloudWatch Logs accepts). @default 30 */
  readonly logRetentionDays?: number;
  /** Services whose log group another component of the region creates (EdgeProxy owns "haproxy"). @default [] */
  readonly externalLogServices?: string[];
  /** E-mail addresses subscribed to the alarm topic. @default [] */
  readonly alarmEmails?: string[];
  /** Alarm windows and thresholds. @default metrics/alarms.ts ALARM_DEFAULTS */
  readonly alarmThresholds?: Partial<AlarmThresholds>;
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Defaults resolved in one place, bad input reported together before any child is created. */
export function resolveMonitoringArgs(args: MonitoringArgs) {
  const a = {
    ...args,
    bridgeFleets: args.bridgeFleets ?? [],
    jibriPools: args.jibriPools ?? [],
    turnEnabled: args.turnEnabled ?? true,
    scalerFunctions: args.scalerFunctions ?? [],
    otherAutoScalingGroupNames: args.otherAutoScalingGroupNames ?? [],
    logRetentionDays: args.logRetentionDays ?? DEFAULTS.monitoring.logRetentionDays,
    alarmEmails: args.alarmEmails ?? [],
    thresholds: { ...ALARM_DEFAULTS, ...args.alarmThresholds },
  };
  const errors: { propertyPath: string; reason: string }[] = [];
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(a.logRetentionDays))
    errors.push({ propertyPath: "logRetentionDays", reason: `must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${a.logRetentionDays}` });
  if (a.shardIds.length === 0) errors.push({ propertyPath: "shardIds", reason: "must list at least one shard" });
  const NAME = /^[a-z][a-z0-9-]{0,62}$/;
  for (const [path, list] of [["bridgeFleets", a.bridgeFleets], ["jibriPools", a.jibriPools], ["scalerFunctions", a.scalerFunctions]] as const)
    list.forEach((g, i) => {
      const v = "name" in g ? g.name : g.key;
      if (!NAME.test(v)) errors.push({ propertyPath: `${path}[${i}]`, reason: `name must be lower-case letters, digits and dashes, got '${v}'` });
    });
  a.alarmEmails.forEach((e, i) => {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) errors.push({ propertyPath: `alarmEmails[${i}]`, reason: `must be an e-mail address, got '${e}'` });
  });
  for (const [k, v] of Object.entries(a.thresholds))
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) errors.push({ propertyPath: `alarmThresholds.${k}`, reason: `must be a positive number, got ${v}` });
  if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: "invalid MonitoringArgs", errors });
  return a;
}

/**
 * Every host role gets its agent config and log groups, present in the region or not: the host components
 * name the parameter by convention (agentConfigParameterName) and must find it at boot, whatever order the
 * region wires them in. An unused String parameter or empty log group costs nothing.
 */
const ROLES: readonly HostRole[] = HOST_ROLES;

export class Monitoring extends pulumi.ComponentResource {
  /** ARN of the SNS topic every alarm notifies. */
  public readonly alarmTopicArn: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;
  /** Alarm names, in definition order. */
  public readonly alarmNames: pulumi.Output<string>[];
  /** Log group name per service. */
  public readonly logGroupNames: Record<string, pulumi.Output<string>>;
  /** SSM parameter name of the CloudWatch agent config per host role. */
  public readonly agentConfigParameterNames: Record<string, pulumi.Output<string>>;
  /** What the global dashboard needs of this region. */
  public readonly dashboardInput: pulumi.Output<RegionDashboardInput>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:Monitoring", name, {}, opts);
    const a = resolveMonitoringArgs(args);
    const tags = a.tags;

    // Not KMS-encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and alarm
    // messages carry metric names and thresholds only (no secret, no personal data).
    const topic = new aws.sns.Topic(`${name}-alarms`, { displayName: `Jitsi ${a.deployment} ${a.region} alarms`, tags }, { parent: this });
    a.alarmEmails.forEach((email, i) => new aws.sns.TopicSubscription(`${name}-alarms-email-${i + 1}`, { topic: topic.arn, protocol: "email", endpoint: email }, { parent: this }));

    const services = (Object.keys(LOG_SERVICES) as LogServiceName[]).filter(
      (s) => (LOG_SERVICES[s].roles as readonly HostRole[]).some((r) => ROLES.includes(r)) && !(args.externalLogServices ?? []).includes(s),
    );
    const groups = Object.fromEntries(
      services.map((svc) => [svc, new aws.cloudwatch.LogGroup(`${name}-log-${svc}`, { name: logGroupName(a.deployment, svc), retentionInDays: a.logRetentionDays, tags }, { parent: this })]),
    ) as Partial<Record<LogServiceName, aws.cloudwatch.LogGroup>>;

    for (const f of LOG_METRIC_FILTERS) {
      const group = groups[f.service];
      if (!group) continue;
      new aws.cloudwatch.LogMetricFilter(
        `${name}-filter-${f.key}`,
        { logGroupName: group.name, pattern: f.pattern, metricTransformation: { name: f.metric.name, namespace: f.metric.namespace, value: f.value, unit: f.metric.unit } },
        { parent: this },
      );
    }

    const params: Record<string, aws.ssm.Parameter> = {};
    for (const role of ROLES) {
      const content = renderCloudWatchAgentConfig({ deployment: a.deployment, role });
      // Plain String: the agent config holds no secret, and the agent reads it with ssm:GetParameter at boot.
      params[role] = new aws.ssm.Parameter(`${name}-agent-${role}`, { name: agentConfigParameterName(a.deployment, role), type: "String", tier: "Standard", insecureValue: content, description: `CloudWatch agent config of ${role} hosts`, tags }, { parent: this });
      publishRenderedFile({ region: a.region, component: name, path: `cloudwatch-agent-${role}.json`, content });
    }

    const dashboardInput = pulumi
      .all([
        pulumi.all(a.bridgeFleets.map((f) => f.autoScalingGroupName)),
        pulumi.all(a.jibriPools.map((p) => p.autoScalingGroupName)),
        pulumi.all(a.scalerFunctions.map((f) => f.functionName)),
        pulumi.all(a.otherAutoScalingGroupNames),
      ])
      .apply(([fleetAsgs, poolAsgs, fns, others]): RegionDashboardInput => ({
        region: a.region,
        shards: a.shardIds,
        fleets: a.bridgeFleets.map((f, i) => ({ name: f.name, autoScalingGroupName: fleetAsgs[i] })),
        pools: a.jibriPools.map((p, i) => ({ name: p.name, autoScalingGroupName: poolAsgs[i] })),
        turnEnabled: a.turnEnabled,
        scalerFunctionNames: fns,
        hostAutoScalingGroupNames: [...fleetAsgs, ...poolAsgs, ...others],
      }));
    const body = dashboardInput.apply((d) => {
      const text = renderRegionDashboard(d);
      publishRenderedFile({ region: a.region, component: name, path: "dashboard.json", content: `${JSON.stringify(JSON.parse(text), null, 2)}\n` });
      return text;
    });
    const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: `${a.deployment}-${a.region}`, dashboardBody: body }, { parent: this });

    const defs = regionAlarms<pulumi.Input<string>>({
      deployment: a.deployment,
      region: a.region,
      fleets: a.bridgeFleets.map((f) => f.name),
      pools: a.jibriPools.map((p) => p.name),
      turnEnabled: a.turnEnabled,
      scalerFunctions: a.scalerFunctions,
      thresholds: a.thresholds,
    });
    const alarms = defs.map((d) => metricAlarm(`${name}-alarm-${d.key}`, d, topic.arn, tags, this));
    pulumi.all(defs.map((d) => pulumi.output(d.metrics.map((m) => m.metric.dimensions)))).apply((dims) =>
      publishRenderedFile({
        region: a.region,
        component: name,
        path: "alarms.json",
        content: `${JSON.stringify(defs.map((d, i) => ({ ...d, metrics: d.metrics.map((m, j) => ({ ...m, metric: { ...m.metric, dimensions: dims[i][j] } })) })), null, 2)}\n`,
      }),
    );

    this.alarmTopicArn = topic.arn;
    this.dashboardName = dashboard.dashboardName;
    this.alarmNames = alarms.map((x) => x.name);
    this.logGroupNames = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, (g as aws.cloudwatch.LogGroup).name]));
    this.agentConfigParameterNames = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.name]));
    this.dashboardInput = dashboardInput;
    this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, dashboardName: this.dashboardName, alarmNames: this.alarmNames, logGroupNames: this.logGroupNames, agentConfigParameterNames: this.agentConfigParameterNames });
  }
}

/** One CloudWatch alarm from a pure definition; it notifies the topic when it fires and when it clears. */
function metricAlarm(name: string, d: AlarmDef<pulumi.Input<string>>, topicArn: pulumi.Output<string>, tags: MonitoringArgs["tags"], parent: pulumi.Resource): aws.cloudwatch.MetricAlarm {
  const common = {
    name: d.name,
    alarmDescription: d.description,
    comparisonOperator: d.comparison,
    threshold: d.threshold,
    evaluationPeriods: d.evaluationPeriods,
    datapointsToAlarm: d.datapointsToAlarm,
    treatMissingData: d.treatMissingData,
    alarmActions: [topicArn],
    okActions: [topicArn],
    tags,
  };
  if (!d.expression) {
    const m = d.metrics[0].metric;
    return new aws.cloudwatch.MetricAlarm(name, { ...common, namespace: m.namespace, metricName: m.name, dimensions: m.dimensions, statistic: m.stat, period: d.periodSeconds }, { parent });
  }
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      ...common,
      metricQueries: [
        ...d.metrics.map((q) => ({ id: q.id, returnData: false, metric: { namespace: q.metric.namespace, metricName: q.metric.name, dimensions: q.metric.dimensions, stat: q.metric.stat, period: d.periodSeconds } })),
        { id: "e1", expression: d.expression, label: d.key, returnData: true },
      ],
    },
    { parent },
  );
}
