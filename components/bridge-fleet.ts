/**
 * BridgeFleet: the video bridges (JVB) of one region, serving every shard of the region and registering with
 * the shards of peer regions for relays. An auto-scaling group across the region's public subnets whose size is
 * owned by the bridge scaler Lambda (functions/bridge-scaler), drained gracefully on scale-in.
 *
 * Scale-in path (functions/bridge-scaler/decide.ts): the scaler tags the victim (protocol.ts DRAIN_TAG) → the
 * bridge's agent (agents/jvb-drain.ts, started by user data) puts JVB in drain mode, so Jicofo sends it no new
 * conferences (reversible: the scaler deletes the tag when load returns) → once a sample shows it empty, or at
 * maxDrainSeconds, the scaler terminates it with ShouldDecrementDesiredCapacity → the terminating lifecycle hook
 * holds it in Terminating:Wait → the agent sees that in instance metadata, starts JVB's graceful shutdown,
 * heartbeats while participants remain and completes the action once (at 0 participants or when the drain
 * budget is spent; then it reports a drain cut). A Spot interruption notice, or any other termination, starts
 * the same graceful drain.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS, defaultBridgeWarmPool } from "../config/defaults";
import { breweries, ShardEndpoint, XMPP_USERS, xmppDomains } from "../config/naming";
import { PORTS } from "../config/ports";
import { BridgePolicy, BridgePolicyError, gracefulShutdownMinParticipants, resolveBridgePolicy } from "../functions/bridge-scaler/decide";
import { bridgeScalerFunction } from "../functions/bridge-scaler/index";
import { renderAgentInstall } from "../render/agent-install";
import { renderJvbBootScript, renderJvbEnvScript, renderJvbUnits } from "../render/jvb-boot";
import { JvbShardConnection, renderJvbConf } from "../render/jvb-conf";
import { AgentLocation } from "./agent-artifacts";
import { absoluteWarmPool, debianAmiId, hostLaunchTemplate, hostRole } from "./host";
import { hostUserData, stagedByExtension, STAGING_DIR } from "./host-user-data";

export interface BridgeFleetArgs {
  /** Deployment name (plain: used in the group and function names). */
  readonly deployment: string;
  /** AWS region of the fleet (plain: the relay region and the Region metric dimension). */
  readonly region: string;
  /** Public meeting domain, e.g. meet.example.com (plain: XMPP domains and colibri-ws URLs derive from it). */
  readonly domain: string;
  /** VPC of the region. */
  readonly vpcId: pulumi.Input<string>;
  /** Public subnets, one per AZ: bridges need public addresses for media (UDP 10000). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Shards of this region (plain: each becomes a MUC client in jvb.conf). At least one. */
  readonly shards: ShardEndpoint[];
  /** Shards of peer regions the bridges also register with, for relays. @default [] */
  readonly peerShards?: ShardEndpoint[];
  /** VPC CIDRs the bridges' XMPP (5222) may go to: this region's and the peers'. */
  readonly xmppDestinationCidrs: pulumi.Input<string>[];
  /** Security groups allowed to open colibri websockets (edge proxies, TCP 9090). @default [] */
  readonly websocketSourceSecurityGroupIds?: pulumi.Input<string>[];
  /**
   * VPC CIDRs of peer regions whose edge proxies may open colibri websockets here (TCP 9090): a client whose
   * DNS answer changed region reaches its bridge through the other region's edge over the peering. @default []
   */
  readonly websocketSourceCidrs?: pulumi.Input<string>[];
  /** Where the host agent is (drain watcher, stats publisher). Required: without it nothing drains. */
  readonly agent: AgentLocation;
  /** EC2 instance type. @default "c5.xlarge" (jitsi-facts.md: ~80 participants at stress 0.8) */
  readonly instanceType?: string;
  /** Fewest bridges (0 allowed: "0 at night"). @default 1 */
  readonly minBridges?: number;
  /** Most bridges. @default 10 */
  readonly maxBridges?: number;
  /**
   * Keep `warmPoolSize` stopped, pre-booted instances in a warm pool: a scale-out serves in ~30 s instead of a ~3 min
   * boot, and the scaler plans at `targetStress` instead of `coldTargetStress`. Not with `spot`. @default !spot
   */
  readonly warmPool?: boolean;
  /** Prepared instances in the warm pool (its absolute size: AWS `minSize` = `maxGroupPreparedCapacity`). @default 4 */
  readonly warmPoolSize?: number;
  /** Mixed-instances group on Spot (price-capacity-optimized, capacity rebalance). Not with `warmPool`. @default false */
  readonly spot?: boolean;
  /** Instance types the Spot group may use. @default the instance type's size in the c5, c5a, c6i, c6a families */
  readonly spotInstanceTypes?: string[];
  /** Bridges kept on demand below the Spot share. @default 0 */
  readonly onDemandBaseCapacity?: number;
  /** Longest wait for a draining bridge's participants before it is let go (a "drain cut"). @default 3600 */
  readonly maxDrainSeconds?: number;
  /** Root volume size in GiB. @default 20 */
  readonly rootVolumeGiB?: number;
  /** Relays between bridges (multi-region conferences). @default true */
  readonly relaysEnabled?: boolean;
  /** Overrides of the scaler's policy (functions/bridge-scaler/decide.ts BridgePolicy). @default {} */
  readonly scalingPolicy?: Partial<BridgePolicy>;
  /** Retention of the scaler's log group in days. @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Private subnets (one per AZ) whose route to AWS's APIs goes through a NAT gateway. Given, the scaler runs in them
   * and reads every bridge's participants at each run (the live read: a crowd is seen a minute before CloudWatch shows
   * it); only the scaler's own security group may reach the bridges' live-read port. @default none: the scaler runs
   * outside the VPC on CloudWatch's minutes alone
   */
  readonly scalerSubnetIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const SPOT_FAMILIES = ["c5", "c5a", "c6i", "c6a"];
/** AWS: lifecycle hook heartbeat timeout 30–7200 s; heartbeats extend it up to min(48 h, 100 × timeout) (jitsi-facts.md). */
export const HOOK_TIMEOUT_RANGE = { min: 30, max: 7200 } as const;
export const MAX_DRAIN_LIMIT_SECONDS = 48 * 3600;
/** JVB's shutting-down-delay (1 min, jvb reference.conf) plus margin: the bridge hands its rooms to Jicofo before the cap. */
const BRIDGE_HANDOVER_SECONDS = 90;

/** Defaults resolved in one place; every bad field reported together (before any child is created). */
export function resolveBridgeFleetArgs(args: BridgeFleetArgs) {
  const D = DEFAULTS.bridges;
  const r = {
    ...args,
    peerShards: args.peerShards ?? [],
    websocketSourceSecurityGroupIds: args.websocketSourceSecurityGroupIds ?? [],
    websocketSourceCidrs: args.websocketSourceCidrs ?? [],
    instanceType: args.instanceType ?? D.instanceType,
    minBridges: args.minBridges ?? D.min,
    maxBridges: args.maxBridges ?? D.max,
    warmPool: args.warmPool ?? defaultBridgeWarmPool(args.spot ?? D.spot),
    warmPoolSize: args.warmPoolSize ?? D.warmPoolSize,
    spot: args.spot ?? D.spot,
    onDemandBaseCapacity: args.onDemandBaseCapacity ?? 0,
    maxDrainSeconds: args.maxDrainSeconds ?? D.maxDrainSeconds,
    rootVolumeGiB: args.rootVolumeGiB ?? 20,
    relaysEnabled: args.relaysEnabled ?? true,
    scalingPolicy: args.scalingPolicy ?? {},
    logRetentionDays: args.logRetentionDays ?? DEFAULTS.monitoring.logRetentionDays,
  };
  const size = r.instanceType.split(".")[1] ?? "xlarge";
  const spotInstanceTypes = args.spotInstanceTypes ?? [...new Set([r.instanceType, ...SPOT_FAMILIES.map((f) => `${f}.${size}`)])];
  const errors: { propertyPath: string; reason: string }[] = [];
  const bad = (propertyPath: string, reason: string) => errors.push({ propertyPath, reason });
  if (!Number.isInteger(r.minBridges) || r.minBridges < 0) bad("minBridges", `must be a whole number >= 0, got ${r.minBridges}`);
  if (!Number.isInteger(r.maxBridges) || r.maxBridges < 1) bad("maxBridges", `must be a whole number >= 1, got ${r.maxBridges}`);
  if (r.minBridges > r.maxBridges) bad("minBridges", `must be at most maxBridges (${r.maxBridges}), got ${r.minBridges}`);
  if (!Number.isInteger(r.warmPoolSize) || r.warmPoolSize < 1 || r.warmPoolSize > 100) bad("warmPoolSize", `must be a whole number from 1 to 100, got ${r.warmPoolSize}`);
  if (r.warmPool && r.spot)
    bad("warmPool", "cannot be combined with spot: AWS warm pools do not support mixed-instances (Spot) groups; set warmPool or spot to false");
  if (!Number.isInteger(r.maxDrainSeconds) || r.maxDrainSeconds < 60 || r.maxDrainSeconds > MAX_DRAIN_LIMIT_SECONDS)
    bad("maxDrainSeconds", `must be a whole number of seconds from 60 to ${MAX_DRAIN_LIMIT_SECONDS} (48 h, the lifecycle-hook limit), got ${r.maxDrainSeconds}`);
  if (r.shards.length === 0) bad("shards", "must list at least one shard of the region");
  if (r.spot && spotInstanceTypes.length < 2) bad("spotInstanceTypes", "must list at least 2 instance types so Spot has capacity to choose from");
  if (!Number.isInteger(r.onDemandBaseCapacity) || r.onDemandBaseCapacity < 0) bad("onDemandBaseCapacity", `must be a whole number >= 0, got ${r.onDemandBaseCapacity}`);
  // The scaler's policy as the Lambda will resolve it: JVB must hand over exactly as many participants as the scaler
  // consolidates (jvb.conf graceful-shutdown-min-participants).
  let handOverParticipants = 0;
  try {
    const p = resolveBridgePolicy({ ...r.scalingPolicy, minBridges: r.minBridges, maxBridges: r.maxBridges });
    handOverParticipants = gracefulShutdownMinParticipants(p);
  } catch (e) {
    if (!(e instanceof BridgePolicyError)) throw e;
    for (const p of e.problems) bad(`scalingPolicy.${p.split(" ")[0]}`, p.slice(p.indexOf(" ") + 1));
  }
  if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: "invalid BridgeFleetArgs", errors });
  // The hook alone covers the drain when AWS allows it (a dead agent must not cut conferences early); above 7200 s
  // the agent's heartbeats extend it.
  const hookTimeoutSeconds = Math.min(HOOK_TIMEOUT_RANGE.max, r.maxDrainSeconds + 300);
  const heartbeatSeconds = Math.min(300, Math.floor(hookTimeoutSeconds / 2));
  return { ...r, spotInstanceTypes, hookTimeoutSeconds, heartbeatSeconds, handOverParticipants };
}

/** jvb.conf MUC client of a shard (naming: `jvb` account on auth.<domain>, brewery on internal.auth.<domain>). */
function muc(domain: string, s: ShardEndpoint, peerRegion?: string): JvbShardConnection {
  return {
    id: s.id,
    hostname: s.hostname,
    domain: xmppDomains(domain).auth,
    username: XMPP_USERS.jvb,
    breweryMucJid: breweries(domain).jvb,
    peerRegion,
    // The shards' Prosody has a self-signed certificate for the meeting domain, reached by a private name: no
    // verification can pass until a private CA exists (README, "left for later"). The path is private (VPC and
    // peering) and the shards' security groups admit XMPP only from bridges, recorders and peer VPCs; JibriPool
    // makes the same choice (trust-all-xmpp-certs).
    disableCertificateVerification: true,
  };
}

export class BridgeFleet extends pulumi.ComponentResource {
  /** Name of the auto-scaling group (deterministic). */
  public readonly autoScalingGroupName: pulumi.Output<string>;
  public readonly autoScalingGroupArn: pulumi.Output<string>;
  /** Security group of the bridges (shards allow XMPP from it). */
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly lifecycleHookName: pulumi.Output<string>;
  public readonly scalerFunctionName: pulumi.Output<string>;
  /** The drain cap, read by the drain-lifecycle-hook policy. */
  public readonly maxDrainSeconds: pulumi.Output<number>;
  /** Fleet dimension of the bridge metrics (metrics/catalog.ts). */
  public readonly fleetName: pulumi.Output<string>;

  constructor(name: string, args: BridgeFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before the component registers: invalid args create nothing.
    const a = resolveBridgeFleetArgs(args);
    super("jitsi:index:BridgeFleet", name, {}, opts);
    const groupName = `${a.deployment}-${name}`;
    const hookName = "jvb-drain";
    const launchHookName = "jvb-launch";
    const tags = pulumi.output(a.tags ?? {}).apply((t) => ({ ...t, "jitsi:role": "bridge", "jitsi:fleet": name }));
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: a.vpcId, description: `Jitsi bridges ${name}: media from anywhere, colibri websockets from the edge`, tags },
      { parent: this },
    );
    // Media (and relays between bridges) on one UDP port, from anywhere (jitsi-facts.md).
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-media`,
      { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "udp", fromPort: PORTS.jvbMedia, toPort: PORTS.jvbMedia, description: "JVB media (UDP 10000)" },
      { parent: this },
    );
    a.websocketSourceSecurityGroupIds.forEach(
      (src, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-ws-from-edge-${i}`,
          { securityGroupId: sg.id, referencedSecurityGroupId: src, ipProtocol: "tcp", fromPort: PORTS.jvbPublicHttp, toPort: PORTS.jvbPublicHttp, description: "colibri-ws from edge proxies" },
          { parent: this },
        ),
    );
    a.websocketSourceCidrs.forEach(
      (cidr, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-ws-from-peer-${i}`,
          { securityGroupId: sg.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: PORTS.jvbPublicHttp, toPort: PORTS.jvbPublicHttp, description: "colibri-ws from peer-region edge proxies" },
          { parent: this },
        ),
    );
    const egress: [string, aws.vpc.SecurityGroupEgressRuleArgs][] = [
      // Media to clients and relays: any UDP port (clients' ephemeral ports); DNS is UDP too.
      ["media-out", { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "udp", fromPort: 0, toPort: 65535, description: "media to clients and bridges, DNS" }],
      ["https-out", { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "AWS APIs, S3, Jitsi packages" }],
      ["http-out", { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 80, toPort: 80, description: "Debian package mirrors" }],
    ];
    a.xmppDestinationCidrs.forEach((cidr, i) =>
      egress.push([`xmpp-out-${i}`, { securityGroupId: sg.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: PORTS.xmppClient, toPort: PORTS.xmppClient, description: "XMPP to shards" }]),
    );
    for (const [role, e] of egress) new aws.vpc.SecurityGroupEgressRule(`${name}-${role}`, e, { parent: this });

    // The scaler's live read (functions/bridge-scaler/handler.ts readLiveParticipants): its own security group may
    // reach the bridges' responder (agents/bridge-live.ts) and AWS's APIs through the NAT, nothing else.
    let live: { subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupId: pulumi.Input<string>; port: number } | undefined;
    if (a.scalerSubnetIds !== undefined) {
      const scalerSg = new aws.ec2.SecurityGroup(
        `${name}-scaler-sg`,
        { vpcId: a.vpcId, description: `Bridge scaler of ${name}: live read of the bridges, AWS APIs`, tags },
        { parent: this },
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-live-from-scaler`,
        { securityGroupId: sg.id, referencedSecurityGroupId: scalerSg.id, ipProtocol: "tcp", fromPort: PORTS.bridgeLive, toPort: PORTS.bridgeLive, description: "live read (bridge-live) from the bridge scaler" },
        { parent: this },
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-scaler-live-out`,
        { securityGroupId: scalerSg.id, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: PORTS.bridgeLive, toPort: PORTS.bridgeLive, description: "live read of the bridges" },
        { parent: this },
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-scaler-https-out`,
        { securityGroupId: scalerSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "AWS APIs (Auto Scaling, EC2, CloudWatch, Logs) through the NAT" },
        { parent: this },
      );
      live = { subnetIds: a.scalerSubnetIds, securityGroupId: scalerSg.id, port: PORTS.bridgeLive };
    }

    // The instance role: its own shards' jvb passwords, lifecycle calls on its own group, the agent object.
    const allShards = [...a.shards.map((s) => ({ s, peer: undefined as string | undefined })), ...a.peerShards.map((s) => ({ s, peer: s.region }))];
    const groupArnPattern = pulumi.interpolate`arn:aws:autoscaling:${a.region}:${account}:autoScalingGroup:*:autoScalingGroupName/${groupName}`;
    const secretArns = allShards.map(({ s }) => pulumi.interpolate`arn:aws:ssm:${s.region}:${account}:parameter${s.secretParameters.jvb}`);
    const { role, profile } = hostRole(name, this, {
      secretParameterArns: secretArns,
      statements: pulumi.all([groupArnPattern, a.agent.objectArn]).apply(([groupArn, objectArn]) => [
        {
          Sid: "OwnLifecycle",
          Effect: "Allow",
          Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
          Resource: groupArn,
        },
        { Sid: "AgentCode", Effect: "Allow", Action: ["s3:GetObject"], Resource: objectArn },
      ]),
      tags,
    });

    const userData = pulumi.all([a.agent.bucket, a.agent.key]).apply(([bucket, key]) => {
      const boot = {
        region: a.region,
        domain: a.domain,
        shards: allShards.map(({ s }) => ({ id: s.id, passwordParameter: s.secretParameters.jvb, parameterRegion: s.region })),
        stagingDir: STAGING_DIR,
        agentInstall: renderAgentInstall({ bucket, key, region: a.region }),
        fleetName: name,
        groupName,
        lifecycleHookName: hookName,
        launchHookName: a.warmPool ? launchHookName : undefined,
        maxDrainSeconds: a.maxDrainSeconds,
        heartbeatSeconds: a.heartbeatSeconds,
      };
      const staged: Record<string, string> = {
        "jvb.conf": renderJvbConf({
          region: a.region,
          localShards: a.shards.map((s) => muc(a.domain, s)),
          peerShards: a.peerShards.map((s) => muc(a.domain, s, s.region)),
          relayEnabled: a.relaysEnabled,
          websocketDomain: `${a.domain}:443`,
          websocketPort: PORTS.jvbPublicHttp,
          mediaPort: PORTS.jvbMedia,
          gracefulShutdownMaxSeconds: Math.max(60, a.maxDrainSeconds - BRIDGE_HANDOVER_SECONDS),
          gracefulShutdownMinParticipants: a.handOverParticipants,
          loadMeasurement: "cpu-usage",
        }),
        "boot.sh": renderJvbBootScript(boot),
        "jvb-env.sh": renderJvbEnvScript(boot),
      };
      return hostUserData({
        region: a.region,
        component: name,
        packages: ["awscli", "curl", "gnupg", "ca-certificates"],
        staged: stagedByExtension(staged),
        units: renderJvbUnits(boot),
        // A warm pool stops an instance as soon as it has launched (render/resumable-boot.ts).
        resumableBoot: true,
      });
    });

    const lt = hostLaunchTemplate(name, this, {
      instanceType: a.instanceType,
      imageId: debianAmiId(this),
      securityGroupIds: [sg.id],
      instanceProfileArn: profile.arn,
      userData,
      rootVolumeGiB: a.rootVolumeGiB,
      associatePublicIp: true,
      tags,
    });

    const asg = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        name: groupName,
        minSize: a.minBridges,
        maxSize: a.maxBridges,
        // Set once; the scaler owns it afterwards (ignoreChanges below), so a deploy never resizes a live fleet.
        desiredCapacity: a.minBridges,
        vpcZoneIdentifiers: a.subnetIds,
        healthCheckType: "EC2",
        healthCheckGracePeriod: 300,
        // Only the scaler picks scale-in victims (fewest participants); the group never picks one itself.
        protectFromScaleIn: true,
        suspendedProcesses: ["AZRebalance"],
        capacityRebalance: a.spot,
        enabledMetrics: ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances", "GroupTotalInstances"],
        metricsGranularity: "1Minute",
        ...(a.spot
          ? {
              mixedInstancesPolicy: {
                launchTemplate: {
                  launchTemplateSpecification: { launchTemplateId: lt.id, version: "$Latest" },
                  overrides: a.spotInstanceTypes.map((instanceType) => ({ instanceType })),
                },
                instancesDistribution: {
                  onDemandBaseCapacity: a.onDemandBaseCapacity,
                  onDemandPercentageAboveBaseCapacity: 0,
                  spotAllocationStrategy: "price-capacity-optimized",
                },
              },
            }
          : { launchTemplate: { id: lt.id, version: "$Latest" } }),
        ...(a.warmPool
          ? {
              warmPool: absoluteWarmPool(a.warmPoolSize),
              // On the group from its creation, before the pool's first instances launch: without it AWS may stop an
              // instance going into the pool before its boot is over. The bridge releases it (jvb-drain
              // await-in-service); one that never boots is replaced. 1200 s: a boot that configures the host takes
              // 3–8 min (jitsi-facts.md). A group that had no pool when it was created never gets this hook (AWS
              // takes initial hooks at creation only): there the boot resumes at the next start instead
              // (render/resumable-boot.ts).
              initialLifecycleHooks: [{ name: launchHookName, lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", heartbeatTimeout: 1200, defaultResult: "ABANDON" }],
            }
          : {}),
        tags: tags.apply((t) => Object.entries({ ...t, Name: groupName }).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
      },
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );

    const hook = new aws.autoscaling.LifecycleHook(
      `${name}-drain-hook`,
      {
        name: hookName,
        autoscalingGroupName: asg.name,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: a.hookTimeoutSeconds,
        // A bridge whose agent and scaler both failed is still let go after the timeout.
        defaultResult: "CONTINUE",
      },
      { parent: this },
    );

    const scaler = bridgeScalerFunction(`${name}-scaler`, this, {
      functionName: `${groupName}-scaler`.slice(0, 64),
      groupName: asg.name,
      groupArn: asg.arn,
      fleetName: name,
      region: a.region,
      policy: {
        ...a.scalingPolicy,
        minBridges: a.minBridges,
        maxBridges: a.maxBridges,
        // One budget for the whole drain: drain mode (the scaler's tag) then graceful shutdown on termination; the
        // agent counts its cap from the tag (agents/jvb-drain-core.ts capFor).
        drainCapS: a.maxDrainSeconds,
      },
      logRetentionDays: a.logRetentionDays,
      live,
      tags,
    });

    this.autoScalingGroupName = asg.name;
    this.autoScalingGroupArn = asg.arn;
    this.securityGroupId = sg.id;
    this.lifecycleHookName = hook.name;
    this.scalerFunctionName = scaler.fn.name;
    this.maxDrainSeconds = pulumi.output(a.maxDrainSeconds);
    this.fleetName = pulumi.output(name);
    this.registerOutputs({
      autoScalingGroupName: this.autoScalingGroupName,
      autoScalingGroupArn: this.autoScalingGroupArn,
      securityGroupId: this.securityGroupId,
      lifecycleHookName: this.lifecycleHookName,
      scalerFunctionName: this.scalerFunctionName,
      maxDrainSeconds: this.maxDrainSeconds,
      fleetName: this.fleetName,
      instanceRoleArn: role.arn,
    });
  }
}
