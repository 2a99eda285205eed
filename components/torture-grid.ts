/**
 * TortureGrid: a Jitsi Torture (Malleus) load test in one region — a Selenium hub (EC2 instance that also runs
 * the Malleus runner), an auto-scaling group of browser nodes sized from the test parameters, an S3 bucket for
 * the reports, a dashboard of the run's summary, and a scheduled Lambda that scales everything to zero after
 * `maxDurationMinutes`. Brought up by a load-test stack (stacks/loadtest.ts), run, and destroyed.
 *
 * Network: hub and nodes sit in public subnets with public addresses (no NAT gateway to pay for) and accept
 * nothing from the internet: nodes reach the hub's event bus (4442-4444), the hub reaches the nodes (5555);
 * egress is limited to what a browser in a Jitsi call uses (443, 80, UDP 10000, 3478 udp, 5349 tcp).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { PORTS } from "../config/ports";
import { loadtestTeardownFunction } from "../functions/loadtest-teardown/index";
import { AWS_METRICS, LOADTEST_METRICS } from "../metrics/catalog";
import { ref } from "../metrics/refs";
import { encodeUserData } from "../render/cloud-config";
import { renderDashboardBody } from "../render/dashboard";
import { GRID_PORTS, renderHubBoot, renderNodeBoot } from "../render/torture-boot";
import { MalleusParams, renderTortureRunner, validateMalleusParams, RunnerParamsError } from "../render/torture-runner";
import { estimateCost, gridSize, LOADTEST_LIMITS } from "../sim/loadtest-sizing";
import { debianAmiId, hostLaunchTemplate, hostRole } from "./host";
import { privateBucket } from "./private-bucket";
import { publishRenderedFile } from "./rendered-files";

export const TORTURE_REPO = "https://github.com/jitsi/jitsi-meet-torture.git";

export interface TortureGridArgs {
  /** Name of the load-test stack's deployment (resource names, the LoadTest metric dimension). */
  readonly deployment: string;
  /** AWS region of this grid (plain: metric dimension, user data). */
  readonly region: string;
  /** VPC of the grid (stacks/loadtest.ts makes one with public subnets only). */
  readonly vpcId: pulumi.Input<string>;
  /** Public subnets: hub and nodes get public addresses (no NAT gateway). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The deployment under test, e.g. meet.example.com; must be in `allowedDomains`. */
  readonly targetDomain: string;
  /** Domains this grid may target. */
  readonly allowedDomains: string[];
  /** Conferences this grid runs. */
  readonly conferences: number;
  /** Participants per conference. */
  readonly participants: number;
  /** Video senders per conference. */
  readonly senders: number;
  /** Seconds each participant stays. */
  readonly durationSeconds: number;
  /** Room name prefix (the region is appended, so two grids never share a room). @default "loadtest" */
  readonly roomPrefix?: string;
  /** userRegion hints of the participants. @default [region] */
  readonly clientRegions?: string[];
  /** % of bridges Malleus may disrupt. @default 0 */
  readonly maxDisruptedBridgesPct?: number;
  /** Jitsi's load-test client instead of the full web app. @default true */
  readonly loadTestMode?: boolean;
  /** Participants per browser tab (load-test mode). @default 1 */
  readonly participantsPerTab?: number;
  /** Instance type of the browser nodes. @default "c5.xlarge" (jitsi-facts.md: 4 CPU / 7 GB per browser session) */
  readonly nodeInstanceType?: string;
  /** Instance type of the Selenium hub (router + Maven/Java for Malleus). @default "m5.large" */
  readonly hubInstanceType?: string;
  /** Hard cap on browser nodes; parameters needing more are refused. @default 50 */
  readonly maxNodes?: number;
  /** Everything is scaled to zero this long after the grid was created. @default 60 */
  readonly maxDurationMinutes?: number;
  /** jitsi-meet-torture commit. @default DEFAULTS.loadtest.tortureRef */
  readonly tortureRef?: string;
  /** Selenium server version of hub and nodes. @default "4.27.0" */
  readonly seleniumVersion?: string;
  /** Start Malleus once the nodes registered. @default true */
  readonly autoStart?: boolean;
  /** Retention of the teardown function's log group in days. @default 30 */
  readonly logRetentionDays?: number;
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Defaults in one place; every bad field reported together before any child is created. */
export function resolveTortureGridArgs(args: TortureGridArgs) {
  const D = DEFAULTS.loadtest;
  const r = {
    ...args,
    roomPrefix: args.roomPrefix ?? D.roomPrefix,
    clientRegions: args.clientRegions && args.clientRegions.length > 0 ? args.clientRegions : [args.region],
    maxDisruptedBridgesPct: args.maxDisruptedBridgesPct ?? D.maxDisruptedBridgesPct,
    loadTestMode: args.loadTestMode ?? D.loadTestMode,
    participantsPerTab: args.participantsPerTab ?? D.participantsPerTab,
    nodeInstanceType: args.nodeInstanceType ?? D.nodeInstanceType,
    hubInstanceType: args.hubInstanceType ?? D.hubInstanceType,
    maxNodes: args.maxNodes ?? D.maxNodes,
    maxDurationMinutes: args.maxDurationMinutes ?? D.maxDurationMinutes,
    tortureRef: args.tortureRef ?? D.tortureRef,
    seleniumVersion: args.seleniumVersion ?? D.seleniumVersion,
    autoStart: args.autoStart ?? D.autoStart,
    logRetentionDays: args.logRetentionDays ?? DEFAULTS.monitoring.logRetentionDays,
  };
  const malleus: MalleusParams = {
    conferences: r.conferences,
    participants: r.participants,
    senders: r.senders,
    durationSeconds: r.durationSeconds,
    roomPrefix: `${r.roomPrefix}-${r.region}`,
    clientRegions: r.clientRegions,
    maxDisruptedBridgesPct: r.maxDisruptedBridgesPct,
    loadTestMode: r.loadTestMode,
    participantsPerTab: r.participantsPerTab,
    targetDomain: r.targetDomain,
    hubUrl: `http://127.0.0.1:${GRID_PORTS.router}/wd/hub`,
  };
  const errors: { propertyPath: string; reason: string }[] = [];
  try {
    validateMalleusParams(malleus, r.allowedDomains);
  } catch (e) {
    if (!(e instanceof RunnerParamsError)) throw e;
    for (const p of e.problems) errors.push({ propertyPath: p.split(" ")[0], reason: p.slice(p.indexOf(" ") + 1) });
  }
  if (!Number.isInteger(r.maxNodes) || r.maxNodes < 1 || r.maxNodes > LOADTEST_LIMITS.maxNodes)
    errors.push({ propertyPath: "maxNodes", reason: `must be a whole number from 1 to ${LOADTEST_LIMITS.maxNodes}, got ${r.maxNodes}` });
  if (!Number.isInteger(r.maxDurationMinutes) || r.maxDurationMinutes < 10 || r.maxDurationMinutes > LOADTEST_LIMITS.maxDurationMinutes)
    errors.push({ propertyPath: "maxDurationMinutes", reason: `must be a whole number from 10 to ${LOADTEST_LIMITS.maxDurationMinutes}, got ${r.maxDurationMinutes}` });
  let size: ReturnType<typeof gridSize> | undefined;
  try {
    size = gridSize({ ...r, gridRegions: 1 });
  } catch (e) {
    errors.push({ propertyPath: "nodeInstanceType", reason: (e as Error).message });
  }
  if (size && size.nodesPerRegion > r.maxNodes)
    errors.push({ propertyPath: "participants", reason: `needs ${size.nodesPerRegion} browser nodes, more than maxNodes (${r.maxNodes})` });
  if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: "invalid TortureGridArgs", errors });
  const nodes = size!.nodesPerRegion;
  const cost = estimateCost({ nodesByRegion: [nodes], nodeInstanceType: r.nodeInstanceType, hubInstanceType: r.hubInstanceType, durationSeconds: r.durationSeconds, maxDurationMinutes: r.maxDurationMinutes, senders: r.conferences * r.senders });
  return { ...r, malleus, nodes, sessionsPerNode: size!.sessionsPerNode, cost };
}

/** What one load-test run of a grid costs, in USD. */
export interface GridCostEstimate {
  /** Setup plus the configured run. */
  readonly expectedUsd: number;
  /** Everything running until the automatic teardown. */
  readonly worstCaseUsd: number;
}

export class TortureGrid extends pulumi.ComponentResource {
  public readonly hubInstanceId: pulumi.Output<string>;
  public readonly hubPrivateIp: pulumi.Output<string>;
  public readonly nodeGroupName: pulumi.Output<string>;
  /** Browser nodes the parameters need (the node group's desired size). */
  public readonly nodeCount: pulumi.Output<number>;
  public readonly reportsBucket: pulumi.Output<string>;
  public readonly teardownFunctionName: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;
  /** Expected and worst-case USD of this grid (sim/loadtest-sizing.ts estimateCost). */
  public readonly costEstimate: pulumi.Output<GridCostEstimate>;

  constructor(name: string, args: TortureGridArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = resolveTortureGridArgs(args);
    super("jitsi:index:TortureGrid", name, {}, opts);
    const base = `${a.deployment}-${name}`;
    const tags = pulumi.output(a.tags ?? {}).apply((t) => ({ ...t, "jitsi:role": "loadtest", "jitsi:loadtest": a.deployment }));
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    const reports = privateBucket(`${name}-reports`, this, { tags });
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-reports-lifecycle`,
      { bucket: reports.bucket.id, rules: [{ id: "expire-runs", status: "Enabled", filter: { prefix: "runs/" }, expiration: { days: 90 }, noncurrentVersionExpiration: { noncurrentDays: 7 } }] },
      { parent: this },
    );

    // Security groups: nothing from the internet; the grid's own ports between hub and nodes only.
    const hubSg = new aws.ec2.SecurityGroup(`${name}-hub-sg`, { vpcId: a.vpcId, description: `Selenium hub ${name}: event bus and router from the nodes only`, tags }, { parent: this });
    const nodeSg = new aws.ec2.SecurityGroup(`${name}-node-sg`, { vpcId: a.vpcId, description: `Selenium browser nodes ${name}: node port from the hub only`, tags }, { parent: this });
    new aws.vpc.SecurityGroupIngressRule(`${name}-hub-from-nodes`, { securityGroupId: hubSg.id, referencedSecurityGroupId: nodeSg.id, ipProtocol: "tcp", fromPort: GRID_PORTS.eventBusPublish, toPort: GRID_PORTS.router, description: "event bus and router from nodes" }, { parent: this });
    new aws.vpc.SecurityGroupIngressRule(`${name}-node-from-hub`, { securityGroupId: nodeSg.id, referencedSecurityGroupId: hubSg.id, ipProtocol: "tcp", fromPort: GRID_PORTS.node, toPort: GRID_PORTS.node, description: "WebDriver sessions from the hub" }, { parent: this });
    const egress: [string, aws.vpc.SecurityGroupEgressRuleArgs][] = [
      ["hub-https-out", { securityGroupId: hubSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "GitHub, Maven Central, AWS APIs" }],
      ["hub-http-out", { securityGroupId: hubSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 80, toPort: 80, description: "Debian package mirrors" }],
      ["hub-to-nodes", { securityGroupId: hubSg.id, referencedSecurityGroupId: nodeSg.id, ipProtocol: "tcp", fromPort: GRID_PORTS.node, toPort: GRID_PORTS.node, description: "WebDriver to nodes" }],
      ["node-to-hub", { securityGroupId: nodeSg.id, referencedSecurityGroupId: hubSg.id, ipProtocol: "tcp", fromPort: GRID_PORTS.eventBusPublish, toPort: GRID_PORTS.router, description: "event bus and router" }],
      ["node-https-out", { securityGroupId: nodeSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "the target's web/XMPP/colibri-ws, Google Chrome repo, AWS APIs" }],
      ["node-http-out", { securityGroupId: nodeSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 80, toPort: 80, description: "Debian package mirrors" }],
      ["node-media-out", { securityGroupId: nodeSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "udp", fromPort: PORTS.jvbMedia, toPort: PORTS.jvbMedia, description: "media to the bridges (JVB UDP 10000)" }],
      ["node-turn-udp-out", { securityGroupId: nodeSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "udp", fromPort: 3478, toPort: 3478, description: "STUN/TURN" }],
      ["node-turns-out", { securityGroupId: nodeSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 5349, toPort: 5349, description: "TURN over TLS" }],
    ];
    for (const [role, e] of egress) new aws.vpc.SecurityGroupEgressRule(`${name}-${role}`, e, { parent: this });

    // Roles: the hub may write reports under runs/ and publish metrics (base statements, our namespace only).
    const hub = hostRole(`${name}-hub`, this, {
      statements: reports.bucket.arn.apply((arn) => [{ Sid: "UploadReports", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${arn}/runs/*` }]),
      tags,
    });
    const node = hostRole(`${name}-node`, this, { tags });

    const hubRender = reports.bucket.bucket.apply((bucket) => {
      const runner = renderTortureRunner({
        malleus: a.malleus,
        allowedDomains: a.allowedDomains,
        tortureRepo: TORTURE_REPO,
        tortureRef: a.tortureRef,
        region: a.region,
        loadTestName: a.deployment,
        bucket,
        expectedNodes: a.nodes,
        // Nodes boot in ~3-8 min configured at boot (jitsi-facts.md) plus Chrome's install.
        nodeWaitSeconds: 900,
      });
      const boot = renderHubBoot({ seleniumVersion: a.seleniumVersion, runner, autoStart: a.autoStart });
      for (const [path, content] of Object.entries(boot.files)) publishRenderedFile({ region: a.region, component: name, path: `hub/${path}`, content });
      return encodeUserData(boot.userData, `${name} hub user data`);
    });

    const hubInstance = new aws.ec2.Instance(
      `${name}-hub`,
      {
        ami: debianAmiId(this),
        instanceType: a.hubInstanceType,
        subnetId: pulumi.output(a.subnetIds).apply((ids) => ids[0]),
        vpcSecurityGroupIds: [hubSg.id],
        associatePublicIpAddress: true,
        iamInstanceProfile: hub.profile.name,
        userDataBase64: hubRender,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { volumeSize: 30, volumeType: "gp3", encrypted: true, deleteOnTermination: true },
        monitoring: true,
        tags: tags.apply((t) => ({ ...t, Name: `${base}-hub` })),
        volumeTags: tags,
      },
      { parent: this },
    );

    const nodeUserData = hubInstance.privateIp.apply((hubHost) => {
      const boot = renderNodeBoot({ seleniumVersion: a.seleniumVersion, hubHost, maxSessions: a.sessionsPerNode, tortureRepo: TORTURE_REPO, tortureRef: a.tortureRef });
      for (const [path, content] of Object.entries(boot.files)) publishRenderedFile({ region: a.region, component: name, path: `node/${path}`, content });
      return encodeUserData(boot.userData, `${name} node user data`);
    });
    const lt = hostLaunchTemplate(`${name}-node`, this, {
      instanceType: a.nodeInstanceType,
      imageId: debianAmiId(this),
      securityGroupIds: [nodeSg.id],
      instanceProfileArn: node.profile.arn,
      userData: nodeUserData,
      rootVolumeGiB: 20,
      associatePublicIp: true,
      tags,
    });
    const groupName = `${base}-nodes`;
    const nodes = new aws.autoscaling.Group(
      `${name}-nodes`,
      {
        name: groupName,
        minSize: 0,
        maxSize: a.nodes,
        desiredCapacity: a.nodes,
        vpcZoneIdentifiers: a.subnetIds,
        launchTemplate: { id: lt.id, version: "$Latest" },
        healthCheckType: "EC2",
        enabledMetrics: ["GroupDesiredCapacity", "GroupInServiceInstances"],
        metricsGranularity: "1Minute",
        tags: tags.apply((t) => Object.entries({ ...t, Name: groupName }).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
      },
      // After the teardown set it to 0, a later `pulumi up` must not silently bring the browsers back.
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );

    const teardown = loadtestTeardownFunction(`${name}-teardown`, this, {
      functionName: `${base}-teardown`.slice(0, 64),
      nodeGroupName: nodes.name,
      nodeGroupArn: nodes.arn,
      hubInstanceId: hubInstance.id,
      hubInstanceArn: pulumi.interpolate`arn:aws:ec2:${a.region}:${account}:instance/${hubInstance.id}`,
      maxDurationMinutes: a.maxDurationMinutes,
      logRetentionDays: a.logRetentionDays,
      tags,
    });

    // The run's summary next to the browsers' group, in the deployment dashboards' namespace and layout.
    const dims = { Region: a.region, LoadTest: a.deployment };
    const L = LOADTEST_METRICS;
    const dashboardBody = renderDashboardBody(
      [
        { title: "Load test: participants planned / joined / failed", metrics: [ref(L.planned, dims, "Maximum", { label: "planned" }), ref(L.joined, dims, "Maximum", { label: "joined" }), ref(L.failed, dims, "Maximum", { label: "failed" })] },
        { title: "Load test: ICE failures", metrics: [ref(L.iceFailures, dims, "Maximum")] },
        { title: "Load test: run seconds", metrics: [ref(L.runSeconds, dims, "Maximum")] },
        { title: "Browser nodes (desired / in service)", metrics: [ref(AWS_METRICS.asgDesired, { AutoScalingGroupName: groupName }, "Maximum"), ref(AWS_METRICS.asgInService, { AutoScalingGroupName: groupName }, "Maximum")] },
      ],
      a.region,
    );
    publishRenderedFile({ region: a.region, component: name, path: "dashboard.json", content: dashboardBody });
    const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: `${a.deployment}-loadtest-${a.region}`, dashboardBody }, { parent: this });

    // The plan prints every cost.json a component publishes (tools/plan.ts).
    publishRenderedFile({
      region: a.region,
      component: name,
      path: "cost.json",
      content: JSON.stringify({ what: `load-test grid ${name}: ${a.nodes} x ${a.nodeInstanceType} + hub ${a.hubInstanceType}`, nodes: a.nodes, ...a.cost }, null, 2) + "\n",
    });

    this.hubInstanceId = hubInstance.id;
    this.hubPrivateIp = hubInstance.privateIp;
    this.nodeGroupName = nodes.name;
    this.nodeCount = pulumi.output(a.nodes);
    this.reportsBucket = reports.bucket.bucket;
    this.teardownFunctionName = teardown.fn.name;
    this.dashboardName = dashboard.dashboardName;
    this.costEstimate = pulumi.output({ expectedUsd: a.cost.expectedUsd, worstCaseUsd: a.cost.worstCaseUsd });
    this.registerOutputs({
      hubInstanceId: this.hubInstanceId,
      hubPrivateIp: this.hubPrivateIp,
      nodeGroupName: this.nodeGroupName,
      nodeCount: this.nodeCount,
      reportsBucket: this.reportsBucket,
      teardownFunctionName: this.teardownFunctionName,
      dashboardName: this.dashboardName,
      costEstimate: this.costEstimate,
    });
  }
}
