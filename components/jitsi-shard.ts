/**
 * JitsiShard: one shard's signalling node — Prosody, Jicofo and Jitsi Meet behind nginx — on EC2 in a
 * self-healing group of one, reachable at a stable private DNS name that the edge proxies and the bridges use.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { shardEndpoint, XMPP_USERS, XmppUser, xmppDomains } from "../config/naming";
import { PORTS } from "../config/ports";
import { DEFAULTS } from "../config/defaults";
import { renderMeetConfigJs } from "../render/config-js";
import { renderJicofoConf } from "../render/jicofo-conf";
import { renderShardNginx } from "../render/nginx-shard";
import { renderProsodyConfig } from "../render/prosody";
import { renderShardBootScript } from "../render/shard-boot";
import { renderAgentInstall, renderAgentUnit } from "../render/agent-install";
import { agentConfigParameterName, renderCloudWatchAgentInstall } from "../render/cloudwatch-agent";
import { AgentLocation } from "./agent-artifacts";
import { debianAmiId, hostLaunchTemplate, hostRole } from "./host";
import { hostUserData, stagedByExtension, STAGING_DIR } from "./host-user-data";
import { generatedSecret } from "./secrets";

export interface JitsiShardArgs {
  /** Deployment name used in SSM paths and names (plain: names are derived from it). */
  readonly deployment: string;
  /** AWS region of the shard (plain: written into jicofo.conf and config.js). */
  readonly region: string;
  /** Shard id, e.g. "us-east-1-s1": the bridges' xmpp-client config name and the DNS label. */
  readonly shardId: string;
  /** Public meeting domain, e.g. meet.example.com. */
  readonly domain: string;
  /** VPC of the region. */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets the group may place the node in (any AZ: the DNS name follows the instance). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Private hosted zone holding the shard's name. */
  readonly privateZoneId: pulumi.Input<string>;
  /** Security groups of the edge proxies: the only sources of web (80) and agent-check (6060) traffic. */
  readonly webSecurityGroupIds: pulumi.Input<string>[];
  /** Security groups of the bridges and recorders of this region: the only XMPP (5222) clients. */
  readonly xmppClientSecurityGroupIds: pulumi.Input<string>[];
  /** VPC CIDRs of peer regions whose bridges log in to this shard for relays. @default [] */
  readonly xmppClientCidrs?: pulumi.Input<string>[];
  /** Public TURN/STUN host names handed to clients. @default [] (no TURN) */
  readonly turnHosts?: string[];
  /** SSM parameter name of the TURN shared secret (same as coturn's static-auth-secret). @default "" (no TURN) */
  readonly turnSecretParameterName?: string;
  /** ARN of that parameter, so the role may read it. Required with turnSecretParameterName. */
  readonly turnSecretParameterArn?: pulumi.Input<string>;
  /** TURNS port of those hosts (TurnCluster tlsPort: 5349 or 443). @default 5349 */
  readonly turnsPort?: number;
  /** TURN credential lifetime in seconds. @default 86400 */
  readonly turnCredentialTtlSeconds?: number;
  /** EC2 instance type. @default "c5.xlarge" */
  readonly instanceType?: pulumi.Input<string>;
  /** Root volume size in GiB. @default 20 */
  readonly rootVolumeGiB?: number;
  /** Jicofo stress threshold for new joins. @default 0.8 */
  readonly stressThreshold?: number;
  /** Participants of one conference per bridge. @default 80 */
  readonly maxBridgeParticipants?: number;
  /** Relays between bridges (multi-region conferences). @default true */
  readonly relaysEnabled?: boolean;
  /** P2P for two-party calls. @default true */
  readonly p2p?: boolean;
  /** Where the host agent is (AgentArtifacts): runs the HAProxy agent-check responder and the metrics publisher. */
  readonly agent?: AgentLocation;
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Defaults resolved in one place. */
function resolve(args: JitsiShardArgs) {
  const D = DEFAULTS.shard;
  return {
    ...args,
    xmppClientCidrs: args.xmppClientCidrs ?? [],
    turnHosts: args.turnHosts ?? [],
    turnSecretParameterName: args.turnSecretParameterName ?? "",
    turnCredentialTtlSeconds: args.turnCredentialTtlSeconds ?? DEFAULTS.turn.credentialTtlSeconds,
    instanceType: args.instanceType ?? D.instanceType,
    rootVolumeGiB: args.rootVolumeGiB ?? D.rootVolumeGiB,
    stressThreshold: args.stressThreshold ?? D.stressThreshold,
    maxBridgeParticipants: args.maxBridgeParticipants ?? D.maxBridgeParticipants,
    relaysEnabled: args.relaysEnabled ?? true,
    p2p: args.p2p ?? D.p2p,
  };
}


export class JitsiShard extends pulumi.ComponentResource {
  /** Stable private DNS name of the signalling node. */
  public readonly privateHostname: pulumi.Output<string>;
  /** XMPP domain clients and bridges use. */
  public readonly xmppDomain: pulumi.Output<string>;
  /** Security group of the node. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** SSM parameter names of the shard's XMPP passwords (focus, jvb, jibri, recorder). */
  public readonly secretParameterNames: pulumi.Output<Record<string, string>>;
  /** Name of the self-healing group of one. */
  public readonly autoScalingGroupName: pulumi.Output<string>;
  /** Instance role ARN. */
  public readonly instanceRoleArn: pulumi.Output<string>;

  constructor(name: string, args: JitsiShardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:JitsiShard", name, {}, opts);
    const a = resolve(args);
    const endpoint = shardEndpoint(a.deployment, a.region, a.shardId);
    const tags = pulumi.output(a.tags ?? {}).apply((t) => ({ ...t, "jitsi:shard": a.shardId, "jitsi:role": "shard" }));

    // XMPP account passwords, generated and kept in SSM.
    const users = Object.keys(XMPP_USERS) as XmppUser[];
    const secrets = Object.fromEntries(
      users.map((u) => [
        u,
        generatedSecret(`${name}-${u}`, this, {
          parameterName: endpoint.secretParameters[u],
          description: `XMPP password of ${u} on shard ${a.shardId}`,
          tags,
        }),
      ]),
    ) as Record<XmppUser, ReturnType<typeof generatedSecret>>;

    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: a.vpcId, description: `Jitsi shard ${a.shardId}: web from edge, XMPP from bridges and recorders`, tags },
      { parent: this },
    );
    a.webSecurityGroupIds.forEach((src, i) => {
        for (const [label, port] of [["web", PORTS.shardHttp], ["agent", PORTS.shardAgent]] as const)
          new aws.vpc.SecurityGroupIngressRule(
            `${name}-${label}-from-edge-${i}`,
            { securityGroupId: sg.id, referencedSecurityGroupId: src, ipProtocol: "tcp", fromPort: port, toPort: port, description: `${label} from edge proxies` },
            { parent: this },
          );
    });
    a.xmppClientSecurityGroupIds.forEach(
        (src, i) =>
          new aws.vpc.SecurityGroupIngressRule(
            `${name}-xmpp-from-sg-${i}`,
            { securityGroupId: sg.id, referencedSecurityGroupId: src, ipProtocol: "tcp", fromPort: PORTS.xmppClient, toPort: PORTS.xmppClient, description: "XMPP from bridges/recorders" },
            { parent: this },
          ),
    );
    a.xmppClientCidrs.forEach(
        (cidr, i) =>
          new aws.vpc.SecurityGroupIngressRule(
            `${name}-xmpp-from-peer-${i}`,
            { securityGroupId: sg.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: PORTS.xmppClient, toPort: PORTS.xmppClient, description: "XMPP from peer-region bridges (relays)" },
            { parent: this },
          ),
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-egress`,
      { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", description: "packages, SSM, CloudWatch" },
      { parent: this },
    );

    const zone = aws.route53.getZoneOutput({ zoneId: a.privateZoneId, privateZone: true }, { parent: this });
    const record = new aws.route53.Record(
      `${name}-dns`,
      {
        zoneId: a.privateZoneId,
        name: endpoint.hostname,
        type: "A",
        ttl: 30,
        // The instance UPSERTs its own address at boot (a group of one gets a new address on replacement);
        // until then the name points at TEST-NET-1, which nothing answers.
        records: ["192.0.2.1"],
      },
      { parent: this, ignoreChanges: ["records"] },
    );

    const secretArns = users.map((u) => secrets[u].parameter.arn);
    if (a.turnSecretParameterName && !args.turnSecretParameterArn)
      throw new pulumi.InputPropertiesError({
        message: `JitsiShard ${name}: invalid args`,
        errors: [{ propertyPath: "turnSecretParameterArn", reason: "is required when turnSecretParameterName is set" }],
      });
    const turnParamArn = pulumi.output(args.turnSecretParameterArn);
    // The CloudWatch agent's config (host metrics, service logs) lives in SSM, written by Monitoring.
    const cwParam = agentConfigParameterName(a.deployment, "shard");
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const { role, profile } = hostRole(name, this, {
      secretParameterArns: pulumi.all([pulumi.all(secretArns), turnParamArn]).apply(([arns, t]) => (t ? [...arns, t] : arns)),
      statements: [
        ...(a.agent ? [{ Sid: "AgentCode", Effect: "Allow", Action: ["s3:GetObject"], Resource: a.agent.objectArn }] : []),
        { Sid: "CloudWatchAgentConfig", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: pulumi.interpolate`arn:aws:ssm:${a.region}:${account}:parameter${cwParam}` },
        {
          Sid: "OwnDnsName",
          Effect: "Allow",
          Action: ["route53:ChangeResourceRecordSets"],
          Resource: pulumi.interpolate`${zone.arn}`,
          Condition: {
            "ForAllValues:StringEquals": {
              "route53:ChangeResourceRecordSetsNormalizedRecordNames": [endpoint.hostname],
              "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
              "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
            },
          },
        },
      ],
      tags,
    });

    const turnParam = a.turnSecretParameterName;
    const agent = a.agent;
    const files = pulumi.all([a.privateZoneId, agent?.bucket ?? "", agent?.key ?? ""]).apply(([zoneId, agentBucket, agentKey]) => {
      const d = xmppDomains(a.domain);
      const rendered: Record<string, string> = {
        "prosody.cfg.lua": renderProsodyConfig({
          domain: a.domain,
          turnServers: a.turnHosts.map((host) => ({ host, turnsPort: a.turnsPort })),
          turnCredentialTtlSeconds: a.turnCredentialTtlSeconds,
          secretsInclude: "/etc/prosody/secrets/turn.cfg.lua",
        }),
        "jicofo.conf": renderJicofoConf({
          domain: a.domain,
          region: a.region,
          stressThreshold: a.stressThreshold,
          maxBridgeParticipants: a.maxBridgeParticipants,
          relaysEnabled: a.relaysEnabled,
        }),
        "config.js": renderMeetConfigJs({ domain: d.domain, region: a.region, shardId: a.shardId, p2p: a.p2p, stunHosts: a.turnHosts }),
        "nginx-site.conf": renderShardNginx({ domain: a.domain, configJsPath: `/etc/jitsi/meet/${a.domain}-config.js` }),
        "boot.sh": renderShardBootScript({
          region: a.region,
          domain: a.domain,
          hostname: endpoint.hostname,
          privateZoneId: zoneId,
          secretParameters: endpoint.secretParameters,
          turnSecretParameter: turnParam,
          stagingDir: STAGING_DIR,
          agentInstall: agent ? renderAgentInstall({ bucket: agentBucket, key: agentKey, region: a.region }) : "",
          cloudWatchAgentInstall: renderCloudWatchAgentInstall({ region: a.region, parameterName: cwParam }),
        }),
      };
      const units: Record<string, string> = agent
        ? {
            "jitsi-aws-shard-agent.service": renderAgentUnit({
              name: "shard-agent",
              description: "HAProxy agent-check responder (ready/drain/maint) of this shard",
              // Jicofo's REST answering, not its /about/health (which fails with zero bridges: see render/nginx-shard.ts).
              argv: ["shard-agent", "--jicofo-health", `http://127.0.0.1:${PORTS.jicofoRest}/stats`],
            }),
            "jitsi-aws-metrics.service": renderAgentUnit({
              name: "metrics",
              description: "Jicofo stats to CloudWatch",
              argv: ["publish-metrics", "--region", a.region, "--sources", "jicofo", "--shard", a.shardId],
            }),
          }
        : {};
      return hostUserData({
        region: a.region,
        component: name,
        packages: ["awscli", "curl", "gnupg", "ca-certificates"],
        staged: stagedByExtension(rendered),
        units,
      });
    });

    const lt = hostLaunchTemplate(name, this, {
      instanceType: a.instanceType,
      imageId: debianAmiId(this),
      securityGroupIds: [sg.id],
      instanceProfileArn: profile.arn,
      userData: files,
      rootVolumeGiB: a.rootVolumeGiB,
      associatePublicIp: false,
      tags,
    });

    const asg = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        // A group of one: EC2 health checks replace a failed node; the DNS name follows it.
        minSize: 1,
        maxSize: 1,
        desiredCapacity: 1,
        vpcZoneIdentifiers: a.subnetIds,
        healthCheckType: "EC2",
        healthCheckGracePeriod: 600,
        launchTemplate: { id: lt.id, version: "$Latest" },
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 0 } },
        tags: tags.apply((t) =>
          Object.entries({ ...t, Name: `${a.deployment}-${a.shardId}` }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
        ),
      },
      { parent: this, dependsOn: [record] },
    );

    this.privateHostname = pulumi.output(endpoint.hostname);
    this.xmppDomain = pulumi.output(xmppDomains(a.domain).domain);
    this.securityGroupId = sg.id;
    this.secretParameterNames = pulumi.output<Record<string, string>>({ ...endpoint.secretParameters });
    this.autoScalingGroupName = asg.name;
    this.instanceRoleArn = role.arn;
    this.registerOutputs({
      privateHostname: this.privateHostname,
      xmppDomain: this.xmppDomain,
      securityGroupId: this.securityGroupId,
      secretParameterNames: this.secretParameterNames,
      autoScalingGroupName: this.autoScalingGroupName,
      instanceRoleArn: this.instanceRoleArn,
    });
  }
}
