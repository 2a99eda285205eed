/**
 * JibriPool: a region's recorders — an Auto Scaling group of Jibri hosts kept at "N idle" by the replenisher
 * Lambda (functions/jibri-replenisher), the recordings bucket they upload to, and the status topic through which
 * each recorder reports busy/idle the moment it changes (agents/jibri-status.ts).
 *
 * One Jibri records one conference at a time (jitsi-facts.md), so a recording can start only on an idle
 * recorder. A busy recorder protects itself from scale-in; the replenisher launches a replacement within seconds
 * and trims idle ones above the wanted buffer; a terminating lifecycle hook holds an instance while it records
 * or uploads.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { breweries, ShardEndpoint, xmppDomains } from "../config/naming";
import { DEFAULTS } from "../config/defaults";
import { REPLENISH_DEFAULTS, resolveReplenishTarget } from "../functions/jibri-replenisher/decide";
import { jibriReplenisherFunction } from "../functions/jibri-replenisher/index";
import { JIBRI_TAGS } from "../functions/jibri-replenisher/protocol";
import { renderAgentInstall } from "../render/agent-install";
import { agentConfigParameterName, renderCloudWatchAgentInstall } from "../render/cloudwatch-agent";
import { JIBRI_PATHS, JibriBootInput, renderFinalizeWrapper, renderJibriBootScript, renderJibriEnvScript, renderJibriSystemFiles, renderJibriUnits } from "../render/jibri-boot";
import { renderJibriConf } from "../render/jibri-conf";
import { AgentLocation } from "./agent-artifacts";
import { absoluteWarmPool, debianAmiId, hostLaunchTemplate, hostRole } from "./host";
import { recordingsBucket } from "./recordings-bucket";
import { hostUserData, stagedByExtension, STAGING_DIR } from "./host-user-data";

export interface JibriPoolArgs {
  /** Deployment name used in resource names and SSM paths (plain: names are derived from it). */
  readonly deployment: string;
  /** AWS region of the pool (plain: written into the recorders' configuration). */
  readonly region: string;
  /** Public meeting domain, e.g. meet.example.com: the recorders' browser opens rooms there. */
  readonly domain: string;
  /** The shards of the region; each recorder joins every shard's JibriBrewery. */
  readonly shards: ShardEndpoint[];
  /** VPC of the region (the recorders' security group is created in it). */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets (recorders need no public address: they reach the meeting and S3 through NAT). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Where the host agent is (AgentArtifacts): finalize, status agent. */
  readonly agent: AgentLocation;
  /** Pool name: Pool metric dimension and part of resource names. @default "jibri" */
  readonly poolName?: string;
  /** EC2 instance type. @default "c5.xlarge" (jitsi-facts.md: ~8 GB RAM for 720p) */
  readonly instanceType?: pulumi.Input<string>;
  /** Root volume in GiB (recordings wait there until uploaded). @default 40 */
  readonly rootVolumeGiB?: number;
  /** N: idle recorders kept ready (the floor of the replenisher's buffer). @default 5 */
  readonly idleTarget?: number;
  /** Most recorders in the group. @default 20 */
  readonly max?: number;
  /**
   * Keep `warmPoolSize` stopped, set-up recorders in a warm pool: a launch records after about a minute instead of a
   * boot, install and reboot. Cost: their volumes, and each refill's boot. @default true
   */
  readonly warmPool?: boolean;
  /** Prepared recorders in the warm pool (an absolute size: `minSize` = `maxGroupPreparedCapacity`). @default 10 */
  readonly warmPoolSize?: number;
  /** Launch-to-idle seconds the replenisher plans for. @default 180 with warmPool, else 600 */
  readonly leadTimeSeconds?: number;
  /** Regexes of allowed RTMP URLs; empty = no live streaming. @default [] */
  readonly rtmpAllowList?: string[];
  /** Per-session length cap in minutes; 0 = none. @default 240 */
  readonly usageTimeoutMinutes?: number;
  /** Capture resolution: "1280x720" or "1920x1080" (checked at construction). @default "1280x720" */
  readonly resolution?: string;
  /** Recordings move to S3 Standard-IA after this many days. @default 30 */
  readonly transitionToIaDays?: number;
  /** Recordings are deleted after this many days. @default 365 */
  readonly expireDays?: number;
  /** Versioned bucket (other region) receiving a replica of every recording. @default none */
  readonly replicationDestinationBucketArn?: pulumi.Input<string>;
  /** Retention of the replenisher's logs. @default 30 */
  readonly logRetentionDays?: number;
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Defaults resolved in one place; bad values reported together, each naming its field. */
export function resolveJibriPoolArgs(args: JibriPoolArgs) {
  const D = DEFAULTS.jibri;
  const warmPool = args.warmPool ?? D.warmPool;
  const r = {
    ...args,
    poolName: args.poolName ?? "jibri",
    instanceType: args.instanceType ?? D.instanceType,
    rootVolumeGiB: args.rootVolumeGiB ?? D.rootVolumeGiB,
    idleTarget: args.idleTarget ?? D.idleTarget,
    max: args.max ?? D.max,
    warmPool,
    warmPoolSize: args.warmPoolSize ?? D.warmPoolSize,
    leadTimeSeconds: args.leadTimeSeconds ?? (warmPool ? D.leadTimeSeconds.warmPool : D.leadTimeSeconds.cold),
    rtmpAllowList: args.rtmpAllowList ?? [],
    usageTimeoutMinutes: args.usageTimeoutMinutes ?? D.usageTimeoutMinutes,
    resolution: args.resolution ?? D.resolution,
    transitionToIaDays: args.transitionToIaDays ?? DEFAULTS.recordings.transitionToIaDays,
    expireDays: args.expireDays ?? DEFAULTS.recordings.expireDays,
    logRetentionDays: args.logRetentionDays ?? DEFAULTS.monitoring.logRetentionDays,
  };
  const errors: { propertyPath: string; reason: string }[] = [];
  if (r.shards.length === 0) errors.push({ propertyPath: "shards", reason: "must list at least one shard" });
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(r.poolName)) errors.push({ propertyPath: "poolName", reason: "must be 1-20 lower-case letters, digits and dashes" });
  if (!Number.isInteger(r.max) || r.max < 1 || r.max > 500) errors.push({ propertyPath: "max", reason: `must be an integer from 1 to 500, got ${r.max}` });
  if (!Number.isInteger(r.warmPoolSize) || r.warmPoolSize < 1 || r.warmPoolSize > 100) errors.push({ propertyPath: "warmPoolSize", reason: `must be an integer from 1 to 100, got ${r.warmPoolSize}` });
  if (!Number.isInteger(r.idleTarget) || r.idleTarget < 0 || r.idleTarget > r.max) errors.push({ propertyPath: "idleTarget", reason: `must be an integer from 0 to max (${r.max}), got ${r.idleTarget}` });
  if (r.expireDays <= r.transitionToIaDays) errors.push({ propertyPath: "expireDays", reason: `must be greater than transitionToIaDays (${r.transitionToIaDays})` });
  // S3 refuses a Standard-IA transition earlier than 30 days.
  if (!["1280x720", "1920x1080"].includes(r.resolution)) errors.push({ propertyPath: "resolution", reason: `must be "1280x720" or "1920x1080", got "${r.resolution}"` });
  if (r.transitionToIaDays < 30) errors.push({ propertyPath: "transitionToIaDays", reason: `must be at least 30 (S3 Standard-IA minimum), got ${r.transitionToIaDays}` });
  if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: "invalid JibriPoolArgs", errors });
  return r;
}

const KEY_PREFIX = "recordings/";

export class JibriPool extends pulumi.ComponentResource {
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly autoScalingGroupName: pulumi.Output<string>;
  public readonly recordingsBucketName: pulumi.Output<string>;
  public readonly statusTopicArn: pulumi.Output<string>;
  public readonly replenisherFunctionName: pulumi.Output<string>;
  public readonly instanceRoleArn: pulumi.Output<string>;

  constructor(name: string, args: JibriPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:JibriPool", name, {}, opts);
    const a = resolveJibriPoolArgs(args);
    const tags = pulumi.output(a.tags ?? {}).apply((t) => ({ ...t, "jitsi:role": "jibri", "jitsi:pool": a.poolName }));
    // Explicit names: the user data, the IAM conditions and the Lambda need them before the group exists.
    const groupName = `${a.deployment}-${a.region}-${a.poolName}`;
    const hooks = { terminating: `${groupName}-terminating`, launching: `${groupName}-launching` };
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const groupArn = pulumi.interpolate`arn:aws:autoscaling:${a.region}:${account}:autoScalingGroup:*:autoScalingGroupName/${groupName}`;
    // The CloudWatch agent's config for recorders (host metrics, Jibri/ffmpeg/Chrome logs), kept by Monitoring.
    const cwParam = agentConfigParameterName(a.deployment, "jibri");

    const bucket = recordingsBucket(`${name}-recordings`, this, {
      keyPrefix: KEY_PREFIX,
      transitionToIaDays: a.transitionToIaDays,
      expireDays: a.expireDays,
      replicationDestinationBucketArn: a.replicationDestinationBucketArn,
      tags,
    });
    // Encrypted with the AWS-managed SNS key; messages hold instance ids and phases, no secret.
    const topic = new aws.sns.Topic(`${name}-status`, { kmsMasterKeyId: "alias/aws/sns", tags }, { parent: this });

    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: a.vpcId, description: `Jibri recorders ${groupName}: no inbound; XMPP to shards, web, media, S3`, tags }, { parent: this });
    new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", description: "shards (XMPP), the meeting (HTTPS, media), packages, S3, SSM" }, { parent: this });

    const secretArns = pulumi
      .output(account)
      .apply((acct) => a.shards.flatMap((s) => [s.secretParameters.jibri, s.secretParameters.recorder].map((p) => `arn:aws:ssm:${a.region}:${acct}:parameter${p}`)));
    const { role, profile } = hostRole(name, this, {
      secretParameterArns: secretArns,
      statements: pulumi.all([bucket.bucket.arn, groupArn, topic.arn, account]).apply(([bucketArn, group, topicArn, acct]) => [
        { Sid: "AgentCode", Effect: "Allow", Action: ["s3:GetObject"], Resource: a.agent.objectArn },
        { Sid: "CloudWatchAgentConfig", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: `arn:aws:ssm:${a.region}:${acct}:parameter${cwParam}` },
        // HeadObject is authorised by s3:GetObject; the prefix keeps the recorders out of anything else.
        { Sid: "UploadRecordings", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], Resource: `${bucketArn}/${KEY_PREFIX}*` },
        {
          Sid: "OwnGroupLifecycle",
          Effect: "Allow",
          Action: ["autoscaling:SetInstanceProtection", "autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
          Resource: group,
        },
        {
          Sid: "OwnStatusTags",
          Effect: "Allow",
          Action: ["ec2:CreateTags"],
          Resource: `arn:aws:ec2:${a.region}:${acct}:instance/*`,
          Condition: {
            StringEquals: { "ec2:ResourceTag/aws:autoscaling:groupName": groupName },
            "ForAllValues:StringEquals": { "aws:TagKeys": Object.values(JIBRI_TAGS) },
          },
        },
        { Sid: "StatusEvents", Effect: "Allow", Action: ["sns:Publish"], Resource: topicArn },
      ]),
      tags,
    });

    const userData = pulumi.all([a.agent.bucket, a.agent.key, bucket.bucket.bucket, topic.arn]).apply(([agentBucket, agentKey, bucketName, topicArn]) => {
      const d = xmppDomains(a.domain);
      // The same brewery JID Jicofo watches (render/jicofo-conf.ts uses config/naming.ts too).
      const [breweryRoom, breweryDomain] = breweries(a.domain).jibri.split("@");
      const boot: JibriBootInput = {
        region: a.region,
        shards: a.shards.map((s) => ({ id: s.id, controlPasswordParameter: s.secretParameters.jibri, callPasswordParameter: s.secretParameters.recorder })),
        stagingDir: STAGING_DIR,
        agentInstall: renderAgentInstall({ bucket: agentBucket, key: agentKey, region: a.region }),
        cloudWatchAgentInstall: renderCloudWatchAgentInstall({ region: a.region, parameterName: cwParam }),
        poolName: a.poolName,
        groupName,
        terminatingHookName: hooks.terminating,
        launchingHookName: hooks.launching,
        topicArn,
        bucket: bucketName,
        keyPrefix: KEY_PREFIX,
        // A session of up to usage-timeout plus an hour for its upload (the status agent heartbeats the hook).
        terminationCapSeconds: (a.usageTimeoutMinutes || 240) * 60 + 3600,
      };
      const staged: Record<string, string> = {
        "jibri.conf": renderJibriConf({
          shards: a.shards.map((s) => ({
            id: s.id,
            xmppServerHosts: [s.hostname],
            xmppDomain: d.domain,
            controlDomain: d.auth,
            breweryMucDomain: breweryDomain,
            breweryRoomName: breweryRoom,
            callDomain: d.recorder,
            // The shard's Prosody serves XMPP with its self-signed certificate (components/jitsi-shard.ts);
            // the connection stays inside the VPC.
            trustAllXmppCerts: true,
          })),
          recordingsDirectory: JIBRI_PATHS.recordingsDir,
          finalizeScript: JIBRI_PATHS.finalizeScript,
          rtmpAllowList: a.rtmpAllowList,
          usageTimeoutMinutes: a.usageTimeoutMinutes,
          resolution: a.resolution as "1280x720" | "1920x1080",
        }),
        "boot.sh": renderJibriBootScript(boot),
        "jibri-env.sh": renderJibriEnvScript(boot),
        "jibri-finalize.sh": renderFinalizeWrapper(boot),
      };
      return hostUserData({
        region: a.region,
        component: name,
        packages: ["awscli", "curl", "gnupg", "ca-certificates"],
        staged: stagedByExtension(staged, (f) => !f.endsWith(".conf")),
        units: renderJibriUnits(boot),
        system: renderJibriSystemFiles(),
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
      associatePublicIp: false,
      tags,
    });

    const asg = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        name: groupName,
        minSize: 0,
        maxSize: a.max,
        // Set once; from then on the replenisher owns it (ignoreChanges below).
        desiredCapacity: a.idleTarget,
        vpcZoneIdentifiers: a.subnetIds,
        healthCheckType: "EC2",
        // Install + reboot into a kernel with snd-aloop take minutes.
        healthCheckGracePeriod: 900,
        launchTemplate: { id: lt.id, version: "$Latest" },
        initialLifecycleHooks: [
          // Released by the status agent when the host is set up; a host that never gets there is replaced.
          { name: hooks.launching, lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", heartbeatTimeout: 1800, defaultResult: "ABANDON" },
          // Held (heartbeats) while a recording or an upload runs; CONTINUE if the agent is gone.
          { name: hooks.terminating, lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", heartbeatTimeout: 3600, defaultResult: "CONTINUE" },
        ],
        warmPool: a.warmPool ? absoluteWarmPool(a.warmPoolSize) : undefined,
        // A refresh never replaces a protected (busy/uploading) recorder before it is done.
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 90, scaleInProtectedInstances: "Wait", skipMatching: true } },
        // Rebalancing across AZs would terminate recorders the replenisher did not choose (the terminating hook
        // would still hold a busy one, but the move buys nothing: any AZ can record).
        suspendedProcesses: ["AZRebalance"],
        enabledMetrics: ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances"],
        tags: tags.apply((t) => Object.entries({ ...t, Name: groupName }).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
      },
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );

    const replenisher = jibriReplenisherFunction(`${name}-replenisher`, this, {
      groupName,
      pool: a.poolName,
      region: a.region,
      warmPool: a.warmPool,
      target: resolveReplenishTarget({ idleTarget: a.idleTarget, maxInstances: a.max, leadTimeSeconds: a.leadTimeSeconds, maxIdle: Math.max(a.idleTarget, Math.min(a.max, REPLENISH_DEFAULTS.maxIdle)) }),
      topicArn: topic.arn,
      logGroupName: `/jitsi/${a.deployment}/${a.region}/${a.poolName}-replenisher`,
      logRetentionDays: a.logRetentionDays,
      tags,
    });

    this.securityGroupId = sg.id;
    this.autoScalingGroupName = asg.name;
    this.recordingsBucketName = bucket.bucket.bucket;
    this.statusTopicArn = topic.arn;
    this.replenisherFunctionName = replenisher.fn.name;
    this.instanceRoleArn = role.arn;
    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      autoScalingGroupName: this.autoScalingGroupName,
      recordingsBucketName: this.recordingsBucketName,
      statusTopicArn: this.statusTopicArn,
      replenisherFunctionName: this.replenisherFunctionName,
      instanceRoleArn: this.instanceRoleArn,
    });
  }
}
