/**
 * EdgeProxy: a region's HAProxy tier that keeps every room on one shard (docs/edge-proxy.md).
 *
 * Internet → NLB (TLS 443, ACM certificate; PROXY protocol v2 to the targets) → ≥ 2 HAProxy instances in one
 * self-healing auto-scaling group across the private subnets of ≥ 2 AZs → the shards (by their private DNS
 * names) and, for `/colibri-ws/<ip>/`, the bridges. haproxy.cfg comes from render/haproxy.ts; the proxies find
 * each other (HAProxy `peers`) with agents/edge-peers.ts. Access logs go through rsyslog and the CloudWatch agent
 * to the log group /jitsi/<deployment>/haproxy (created by the region's Monitoring).
 *
 * Why an NLB and not an ALB: the NLB hands HAProxy the client's own TCP connection (PROXY protocol v2 carries
 * its address), so the per-client connection-rate guard counts real client connections, and websockets and
 * BOSH pass through as plain streams with no second HTTP layer; an ALB pools connections (HAProxy would see
 * the ALB's), re-parses every request and costs more per connection-hour.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EdgeHostInput, bootstrapPeers } from "../agents/edge-peers";
import { PORTS } from "../config/ports";
import { renderAgentInstall, renderAgentUnit } from "../render/agent-install";
import { DEFAULTS } from "../config/defaults";
import { LOG_RETENTION_DAYS } from "../config/sections/monitoring";
import { agentConfigParameterName, logGroupName, renderCloudWatchAgentInstall } from "../render/cloudwatch-agent";
import { EDGE_PATHS, renderEdgeBootScript, renderHaproxyReloadDropIn, renderPreReloadScript } from "../render/edge-boot";
import { HAPROXY_TUNING_DEFAULTS, HaproxyConfigError, renderHaproxyConfig } from "../render/haproxy";
import { AgentLocation } from "./agent-artifacts";
import { debianAmiId, hostLaunchTemplate, hostRole } from "./host";
import { hostUserData, STAGING_DIR } from "./host-user-data";

/** One shard as the edge routes to it. */
export interface EdgeShard {
  /** Shard id: the HAProxy server name (stick entries name it), e.g. "us-east-1-s1". */
  readonly id: string;
  /** Stable private DNS name of the shard's web server (JitsiShard.privateHostname). */
  readonly hostname: string;
}

export interface EdgeProxyArgs {
  /** Deployment name (plain: the log group and tags derive from it). */
  readonly deployment: string;
  /** AWS region of the proxies. */
  readonly region: string;
  /** Public meeting domain: the certificate's name and the Host of the shard health checks. */
  readonly domain: string;
  /** Public Route53 zone of `domain`: when set, the certificate is validated by DNS records there. @default - validate outside Pulumi */
  readonly hostedZoneId?: string;
  /** VPC of the region (the proxies, the load balancer and the shards live in it). */
  readonly vpcId: pulumi.Input<string>;
  /** CIDR of the region's VPC (the bridges' private addresses). */
  readonly vpcCidr: string;
  /**
   * The only addresses `/colibri-ws/<ip>/` and `/colibri-relay-ws/<ip>/` may reach: this VPC, plus the peer
   * regions' VPCs, whose bridges are reached through this region's edge when latency DNS sends a relaying
   * bridge here. @default [vpcCidr]
   */
  readonly bridgeCidrs?: string[];
  /** Public subnets of ≥ 2 AZs: the load balancer's nodes. */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Private subnets of ≥ 2 AZs: the proxies. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The region's shards (plain: rendered into haproxy.cfg). At least one. */
  readonly shards: EdgeShard[];
  /** Where the host agent is (AgentArtifacts); the proxies run edge-peers from it. */
  readonly agent: AgentLocation;
  /** HAProxy instances, spread over the AZs of `privateSubnetIds`. @default 2 */
  readonly instances?: number;
  /** EC2 instance type of the HAProxy hosts. @default "c5.large" */
  readonly instanceType?: pulumi.Input<string>;
  /** Bounded load of the consistent hash, % of the mean (jitsi-facts.md). @default 150 */
  readonly hashBalanceFactor?: number;
  /** Idle lifetime of a room's stick entry, seconds (jitsi-facts.md: 5m). @default 300 */
  readonly stickExpireSeconds?: number;
  /** Abuse guard: new connections per client address per 10 s. @default 60 */
  readonly connectionsPer10sPerClient?: number;
  /** Root volume size of each proxy in GiB. @default 10 */
  readonly rootVolumeGiB?: number;
  /** Retention of the access-log group in days (a value CloudWatch Logs accepts). @default 30 */
  readonly logRetentionDays?: number;
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Defaults resolved in one place; every bad field reported at once, before any child exists. */
export function resolveEdgeProxyArgs(args: EdgeProxyArgs) {
  const r = {
    ...args,
    instances: args.instances ?? 2,
    instanceType: args.instanceType ?? "c5.large",
    hashBalanceFactor: args.hashBalanceFactor ?? HAPROXY_TUNING_DEFAULTS.hashBalanceFactor,
    stickExpireSeconds: args.stickExpireSeconds ?? HAPROXY_TUNING_DEFAULTS.stickExpireSeconds,
    connectionsPer10sPerClient: args.connectionsPer10sPerClient ?? HAPROXY_TUNING_DEFAULTS.maxConnRatePerClient,
    rootVolumeGiB: args.rootVolumeGiB ?? 10,
    logRetentionDays: args.logRetentionDays ?? DEFAULTS.monitoring.logRetentionDays,
    bridgeCidrs: args.bridgeCidrs ?? [args.vpcCidr],
  };
  const errors: { propertyPath: string; reason: string }[] = [];
  if (!Number.isInteger(r.instances) || r.instances < 2 || r.instances > 10)
    errors.push({ propertyPath: "instances", reason: `must be a whole number from 2 to 10 (two AZs at least), got ${r.instances}` });
  if (r.shards.length === 0) errors.push({ propertyPath: "shards", reason: "must list at least one shard" });
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(r.logRetentionDays))
    errors.push({ propertyPath: "logRetentionDays", reason: `must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${r.logRetentionDays}` });
  try {
    haproxyInput(r);
  } catch (e) {
    if (!(e instanceof HaproxyConfigError)) throw e;
    for (const p of e.problems) errors.push({ propertyPath: p.split(":")[0], reason: p.slice(p.indexOf(":") + 1).trim() });
  }
  if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid EdgeProxyArgs: ${errors.map((e) => `${e.propertyPath} ${e.reason}`).join("; ")}`, errors });
  return r;
}

/** The resolved fields haproxy.cfg depends on. */
export interface EdgeRouting {
  readonly deployment: string;
  readonly region: string;
  readonly domain: string;
  readonly bridgeCidrs: readonly string[];
  readonly shards: readonly EdgeShard[];
  readonly hashBalanceFactor: number;
  readonly stickExpireSeconds: number;
  readonly connectionsPer10sPerClient: number;
}

/** The tag every proxy of the group carries; edge-peers lists the group's members by it. */
export function edgeGroupTag(deployment: string, region: string) {
  return { key: "jitsi:edge-group", value: `${deployment}-${region}-edge` };
}

/** Pure: what the host renders haproxy.cfg from (haproxy-input.json), and the bootstrap haproxy.cfg. */
export function haproxyInput(r: EdgeRouting): { host: EdgeHostInput; bootstrapConfig: string } {
  const host: EdgeHostInput = {
    haproxy: {
      listen: { address: "0.0.0.0", port: PORTS.haproxyFrontend, acceptProxy: true },
      healthPort: PORTS.haproxyHealth,
      healthCheckHost: r.domain,
      // Every shard starts in drain: a new one stays there until its agent says ready; the others get their
      // state back from the server state file on a reload (render/edge-boot.ts).
      shards: r.shards.map((s) => ({ id: s.id, address: s.hostname, port: PORTS.shardHttp, agentPort: PORTS.shardAgent, initialState: "drain" as const })),
      bridges: { cidrs: [...r.bridgeCidrs], websocketPort: PORTS.jvbPublicHttp },
      serverStateFile: EDGE_PATHS.serverState,
      runtimeSocket: EDGE_PATHS.runtimeSocket,
      logTarget: "/dev/log",
      logFacility: "local0",
      tuning: {
        ...HAPROXY_TUNING_DEFAULTS,
        hashBalanceFactor: r.hashBalanceFactor,
        stickExpireSeconds: r.stickExpireSeconds,
        maxConnRatePerClient: r.connectionsPer10sPerClient,
        connRatePeriodSeconds: 10,
      },
    },
    peers: { section: "edge", port: PORTS.haproxyPeers },
    groupTag: edgeGroupTag(r.deployment, r.region),
  };
  const bootstrapConfig = renderHaproxyConfig({ ...host.haproxy, peers: bootstrapPeers(host.peers.section, host.peers.port) });
  return { host, bootstrapConfig };
}

const PEERS_UNIT = "jitsi-aws-edge-peers.service";
const METRICS_UNIT = "jitsi-aws-metrics.service";

export class EdgeProxy extends pulumi.ComponentResource {
  /** Security group of the proxies: the shards (80, 6060) and the bridges (9090) admit traffic from it. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Public DNS name and zone of the load balancer (alias target of the meeting domain). */
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  public readonly loadBalancerZoneId: pulumi.Output<string>;
  public readonly certificateArn: pulumi.Output<string>;
  public readonly autoScalingGroupName: pulumi.Output<string>;
  public readonly accessLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: EdgeProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:EdgeProxy", name, {}, opts);
    const a = resolveEdgeProxyArgs(args);
    const group = edgeGroupTag(a.deployment, a.region);
    const tags = pulumi.output(a.tags ?? {}).apply((t) => ({ ...t, "jitsi:role": "edge", [group.key]: group.value }));
    const { host, bootstrapConfig } = haproxyInput(a);

    // Security groups: the world reaches the NLB on 443 only; the NLB reaches HAProxy; proxies reach each other.
    const lbSg = new aws.ec2.SecurityGroup(`${name}-lb-sg`, { vpcId: a.vpcId, description: `Jitsi edge NLB ${a.region}: HTTPS from the world`, tags }, { parent: this });
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: a.vpcId, description: `Jitsi edge HAProxy ${a.region}: from the NLB and the other proxies`, tags }, { parent: this });
    new aws.vpc.SecurityGroupIngressRule(`${name}-lb-https`, { securityGroupId: lbSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS (TLS ends at the NLB)" }, { parent: this });
    for (const [role, port] of [["web", PORTS.haproxyFrontend], ["health", PORTS.haproxyHealth]] as const) {
      new aws.vpc.SecurityGroupEgressRule(`${name}-lb-to-${role}`, { securityGroupId: lbSg.id, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: `NLB to HAProxy ${role}` }, { parent: this });
      new aws.vpc.SecurityGroupIngressRule(`${name}-${role}-from-lb`, { securityGroupId: sg.id, referencedSecurityGroupId: lbSg.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: `HAProxy ${role} from the NLB` }, { parent: this });
    }
    new aws.vpc.SecurityGroupIngressRule(`${name}-peers`, { securityGroupId: sg.id, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: PORTS.haproxyPeers, toPort: PORTS.haproxyPeers, description: "HAProxy peers (stick table sync)" }, { parent: this });
    new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", description: "shards, bridges, peers, packages, SSM, CloudWatch" }, { parent: this });

    const cwParam = agentConfigParameterName(a.deployment, "edge");
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const { profile } = hostRole(name, this, {
      statements: [
        { Sid: "AgentCode", Effect: "Allow", Action: ["s3:GetObject"], Resource: a.agent.objectArn },
        // DescribeInstances has no resource-level permissions: AWS requires "*". Read-only.
        { Sid: "PeerDiscovery", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" },
        { Sid: "CloudWatchAgentConfig", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: pulumi.interpolate`arn:aws:ssm:${a.region}:${account}:parameter${cwParam}` },
      ],
      tags,
    });

    const userData = pulumi.all([a.agent.bucket, a.agent.key]).apply(([bucket, key]) => {
      const staged: Record<string, { content: string; permissions: string }> = {
        "haproxy.cfg": { content: bootstrapConfig, permissions: "0644" },
        "haproxy-input.json": { content: JSON.stringify(host, null, 2) + "\n", permissions: "0644" },
        "haproxy-pre-reload": { content: renderPreReloadScript(), permissions: "0755" },
        "haproxy-reload.conf": { content: renderHaproxyReloadDropIn(), permissions: "0644" },
        "boot.sh": {
          content: renderEdgeBootScript({
            region: a.region,
            stagingDir: STAGING_DIR,
            agentInstall: renderAgentInstall({ bucket, key, region: a.region }),
            cloudWatchAgentInstall: renderCloudWatchAgentInstall({ region: a.region, parameterName: cwParam }),
            peersUnit: PEERS_UNIT,
            metricsUnit: METRICS_UNIT,
          }),
          permissions: "0700",
        },
      };
      const unit = renderAgentUnit({ name: "edge-peers", description: "Keeps HAProxy's peers equal to the edge group's proxies", argv: ["edge-peers", "--region", a.region] });
      // HAProxy's sessions, shard states and 5xx to CloudWatch, read from the runtime socket (render/haproxy.ts).
      const metricsUnit = renderAgentUnit({
        name: "metrics",
        description: "HAProxy stats to CloudWatch",
        argv: ["publish-metrics", "--region", a.region, "--sources", "haproxy", "--haproxy-backend", "be_shards"],
      });
      return hostUserData({
        region: a.region,
        component: name,
        packages: ["awscli", "curl", "ca-certificates"],
        staged,
        units: { [PEERS_UNIT]: unit, [METRICS_UNIT]: metricsUnit },
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

    const nlb = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      { loadBalancerType: "network", internal: false, subnets: a.publicSubnetIds, securityGroups: [lbSg.id], enableCrossZoneLoadBalancing: true, ipAddressType: "ipv4", tags },
      { parent: this },
    );
    const tg = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: a.vpcId,
        port: PORTS.haproxyFrontend,
        protocol: "TCP",
        targetType: "instance",
        proxyProtocolV2: true,
        // A proxy leaving (rolling replacement) keeps its websockets this long; clients then reconnect through
        // another proxy, which sends them to the same shard (shared stick table).
        deregistrationDelay: 300,
        healthCheck: { protocol: "HTTP", port: String(PORTS.haproxyHealth), path: "/haproxy-health", interval: 10, healthyThreshold: 3, unhealthyThreshold: 2 },
        tags,
      },
      { parent: this },
    );

    const cert = new aws.acm.Certificate(`${name}-cert`, { domainName: a.domain, validationMethod: "DNS", tags }, { parent: this });
    let certificateArn: pulumi.Output<string> = cert.arn;
    if (a.hostedZoneId) {
      const option = cert.domainValidationOptions.apply((o) => o[0]);
      const record = new aws.route53.Record(
        `${name}-cert-validation`,
        { zoneId: a.hostedZoneId, name: option.resourceRecordName, type: option.resourceRecordType, records: [option.resourceRecordValue], ttl: 300, allowOverwrite: true },
        { parent: this },
      );
      certificateArn = new aws.acm.CertificateValidation(`${name}-cert-validated`, { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] }, { parent: this }).certificateArn;
    }
    new aws.lb.Listener(
      `${name}-tls`,
      {
        loadBalancerArn: nlb.arn,
        port: 443,
        protocol: "TLS",
        certificateArn,
        sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        // HAProxy speaks HTTP/1.1 here; websockets upgrade over HTTP/1.1.
        alpnPolicy: "HTTP1Only",
        defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
        tags,
      },
      { parent: this },
    );

    const asg = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        minSize: a.instances,
        maxSize: a.instances,
        desiredCapacity: a.instances,
        // Subnets of several AZs: the group spreads the proxies over them and replaces a failed one.
        vpcZoneIdentifiers: a.privateSubnetIds,
        targetGroupArns: [tg.arn],
        healthCheckType: "ELB",
        healthCheckGracePeriod: 300,
        launchTemplate: { id: lt.id, version: "$Latest" },
        // Launch before terminate: a new proxy has joined the peers (and got the table) before an old one goes.
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200, instanceWarmup: "120" } },
        tags: tags.apply((t) => Object.entries({ ...t, Name: `${a.deployment}-${a.region}-edge` }).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))),
      },
      { parent: this },
    );

    this.securityGroupId = sg.id;
    this.loadBalancerDnsName = nlb.dnsName;
    this.loadBalancerZoneId = nlb.zoneId;
    this.certificateArn = certificateArn;
    this.autoScalingGroupName = asg.name;
    // Created (with the region's retention) by the region's Monitoring, which owns every /jitsi/<deployment>/*
    // log group; the CloudWatch agent config it stores for the "edge" role ships /var/log/haproxy.log there.
    // The access log (HAProxy's log-format with the room) goes here through the CloudWatch agent.
    const accessLog = new aws.cloudwatch.LogGroup(`${name}-access-log`, { name: logGroupName(a.deployment, "haproxy"), retentionInDays: a.logRetentionDays, tags }, { parent: this });
    this.accessLogGroupName = accessLog.name;
    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      loadBalancerDnsName: this.loadBalancerDnsName,
      loadBalancerZoneId: this.loadBalancerZoneId,
      certificateArn: this.certificateArn,
      autoScalingGroupName: this.autoScalingGroupName,
      accessLogGroupName: this.accessLogGroupName,
    });
  }
}
