/**
 * Region: one AWS region of a Jitsi deployment — its VPC, private zone, TURN secret, edge proxies, shards,
 * bridge fleet, recorder pool, TURN cluster and monitoring — composed from the typed stack config.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { privateZoneName, shardEndpoint, shardIds, ShardEndpoint, turnHostname, turnSecretParameter } from "../config/naming";
import { JitsiConfig, RegionConfig } from "../config/schema";
import { AgentArtifacts } from "../components/agent-artifacts";
import { BridgeFleet } from "../components/bridge-fleet";
import { EdgeProxy } from "../components/edge-proxy";
import { JibriPool } from "../components/jibri-pool";
import { JitsiShard } from "../components/jitsi-shard";
import { TurnCluster } from "../components/turn-cluster";
import { Monitoring } from "../components/monitoring";
import { generatedSecret } from "../components/secrets";

/** What a region knows of another region of the same deployment (from this program or a peer stack). */
export interface PeerRegion {
  readonly name: string;
  readonly vpcCidr: string;
  /** The peer's shards: this region's bridges register with them for relays. */
  readonly shards: ShardEndpoint[];
}

/** Latency-based alias record of the meeting domain for one region, with a health check of the region's edge. */
function latencyRecord(
  name: string,
  parent: pulumi.Resource,
  hostedZoneId: string,
  domain: string,
  region: string,
  edge: { dnsName: pulumi.Input<string>; zoneId: pulumi.Input<string> },
) {
  const health = new aws.route53.HealthCheck(
    `${name}-health`,
    {
      type: "HTTPS",
      fqdn: edge.dnsName,
      port: 443,
      resourcePath: "/about/health",
      // SNI with the meeting domain so the edge's certificate matches.
      enableSni: true,
      failureThreshold: 3,
      requestInterval: 30,
      tags: { Name: `${domain} ${region}` },
    },
    { parent },
  );
  return new aws.route53.Record(
    name,
    {
      zoneId: hostedZoneId,
      name: domain,
      type: "A",
      setIdentifier: region,
      latencyRoutingPolicies: [{ region }],
      healthCheckId: health.id,
      aliases: [{ name: edge.dnsName, zoneId: edge.zoneId, evaluateTargetHealth: true }],
    },
    { parent },
  );
}

export interface RegionArgs {
  /** The whole parsed stack config (plain: the region branches on it). */
  readonly config: JitsiConfig;
  /** This region's entry of config.regions. */
  readonly region: RegionConfig;
  /** The other regions of the deployment. */
  readonly peers: PeerRegion[];
}

export class Region extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateZoneId: pulumi.Output<string>;
  public readonly shards: JitsiShard[];
  /** What peer regions need to know of this one (exported in stack-per-region mode). */
  public readonly peerInfo: PeerRegion;
  /** Route tables of the VPC's subnets (inter-region peering routes go there). */
  public readonly routeTableIds: pulumi.Output<string[]>;
  public readonly routeTableCount: number;
  /** The edge load balancer, when there is one. */
  public readonly edge: { dnsName: pulumi.Input<string>; zoneId: pulumi.Input<string> } | undefined;
  /** The region's dashboard, alarms, log groups and agent configs (the global dashboard reads it). */
  public readonly monitoring: Monitoring;

  constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:Region", name, {}, opts);
    const { config, region, peers } = args;
    const tags = { ...config.tags, "jitsi:deployment": config.deployment, "jitsi:region": region.name };

    // Public subnets: edge load balancer, bridges and TURN (media needs public addresses).
    // Private subnets: shards, edge HAProxies and recorders, leaving through a NAT gateway per AZ.
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: region.vpcCidr,
        numberOfAvailabilityZones: region.azCount,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: "OnePerAz" },
        subnetStrategy: "Auto",
        subnetSpecs: [{ type: "Public" }, { type: "Private" }],
        tags,
      },
      { parent: this },
    );

    const zone = new aws.route53.Zone(
      `${name}-zone`,
      {
        name: privateZoneName(config.deployment, region.name),
        comment: `Private names of Jitsi ${config.deployment} in ${region.name}`,
        vpcs: [{ vpcId: vpc.vpcId, vpcRegion: region.name }],
        tags,
      },
      // Peer regions' VPCs are associated separately (stacks/mesh.ts); do not fight those associations.
      { parent: this, ignoreChanges: ["vpcs"] },
    );

    const ids = shardIds(region.name, region.shards);
    const endpoints = ids.map((id) => shardEndpoint(config.deployment, region.name, id));
    const turnHosts = config.turn.enabled ? [turnHostname(config.domain, region.name)] : [];
    const turnSecret = config.turn.enabled
      ? generatedSecret(`${name}-turn-secret`, this, {
          parameterName: turnSecretParameter(config.deployment, region.name),
          description: `TURN REST-API shared secret (coturn static-auth-secret, Prosody external_service_secret) in ${region.name}`,
          tags,
        })
      : undefined;

    // The host agent every EC2 host downloads at boot (metrics, drain, recordings, agent-check).
    const artifacts = new AgentArtifacts(`${name}-artifacts`, { tags }, { parent: this });
    const agent = artifacts.location;

    // <edge-proxy> (the EdgeProxy component is built here and gives the shards their web sources and the
    // latency record its target)
    const edgeProxy = new EdgeProxy(
      `${region.name}-edge`,
      {
        deployment: config.deployment,
        region: region.name,
        domain: config.domain,
        hostedZoneId: config.hostedZoneId,
        vpcId: vpc.vpcId,
        vpcCidr: region.vpcCidr,
        // Relaying bridges of peer regions may reach this edge (latency DNS): their colibri-relay-ws passes.
        bridgeCidrs: [region.vpcCidr, ...peers.map((p) => p.vpcCidr)],
        publicSubnetIds: vpc.publicSubnetIds,
        privateSubnetIds: vpc.privateSubnetIds,
        shards: endpoints.map((ep) => ({ id: ep.id, hostname: ep.hostname })),
        agent,
        instances: region.edge.instances,
        instanceType: region.edge.instanceType,
        hashBalanceFactor: region.edge.hashBalanceFactor,
        stickExpireSeconds: region.edge.stickExpireSeconds,
        connectionsPer10sPerClient: region.edge.connectionsPer10sPerClient,
        logRetentionDays: config.monitoring.logRetentionDays,
        tags,
      },
      { parent: this },
    );
    const webSecurityGroupIds: pulumi.Input<string>[] = [edgeProxy.securityGroupId];
    const edgeEndpoint: { dnsName: pulumi.Input<string>; zoneId: pulumi.Input<string> } | undefined = {
      dnsName: edgeProxy.loadBalancerDnsName,
      zoneId: edgeProxy.loadBalancerZoneId,
    };
    // </edge-proxy>

    // <bridge-fleet> (the BridgeFleet component is built here; its security group may reach the shards' XMPP)
    // One fleet serves every shard of the region and joins the peer regions' shards for relays.
    const bridges = new BridgeFleet(
      `${region.name}-bridges`,
      {
        deployment: config.deployment,
        region: region.name,
        domain: config.domain,
        vpcId: vpc.vpcId,
        subnetIds: vpc.publicSubnetIds,
        shards: endpoints,
        peerShards: peers.flatMap((p) => p.shards),
        xmppDestinationCidrs: [region.vpcCidr, ...peers.map((p) => p.vpcCidr)],
        websocketSourceSecurityGroupIds: webSecurityGroupIds,
        websocketSourceCidrs: peers.map((p) => p.vpcCidr),
        agent,
        instanceType: region.bridges.instanceType,
        minBridges: region.bridges.min,
        maxBridges: region.bridges.max,
        warmPool: region.bridges.warmPool,
        warmPoolSize: region.bridges.warmPoolSize,
        spot: region.bridges.spot,
        maxDrainSeconds: region.bridges.maxDrainSeconds,
        scalingPolicy: region.bridges.scaling,
        relaysEnabled: true,
        logRetentionDays: config.monitoring.logRetentionDays,
        // The scaler reads the bridges live from the private subnets (their NAT gateways reach AWS's APIs).
        scalerSubnetIds: vpc.privateSubnetIds,
        tags,
      },
      { parent: this },
    );
    const bridgeSecurityGroupIds: pulumi.Input<string>[] = [bridges.securityGroupId];
    // </bridge-fleet>

    // <jibri-pool> (the JibriPool component is built here; its security group may reach the shards' XMPP)
    const jibri = new JibriPool(
      `${name}-jibri`,
      {
        deployment: config.deployment,
        region: region.name,
        domain: config.domain,
        shards: endpoints,
        vpcId: vpc.vpcId,
        subnetIds: vpc.privateSubnetIds,
        agent,
        instanceType: region.jibri.instanceType,
        rootVolumeGiB: region.jibri.rootVolumeGiB,
        idleTarget: region.jibri.idleTarget,
        max: region.jibri.max,
        warmPool: region.jibri.warmPool,
        warmPoolSize: region.jibri.warmPoolSize,
        leadTimeSeconds: region.jibri.leadTimeSeconds,
        rtmpAllowList: region.jibri.rtmpAllowList,
        usageTimeoutMinutes: region.jibri.usageTimeoutMinutes,
        resolution: region.jibri.resolution,
        transitionToIaDays: config.recordings.transitionToIaDays,
        expireDays: config.recordings.expireDays,
        replicationDestinationBucketArn: config.recordings.replicationDestinationBucketArn,
        logRetentionDays: config.monitoring.logRetentionDays,
        tags,
      },
      { parent: this },
    );
    const jibriSecurityGroupIds: pulumi.Input<string>[] = [jibri.securityGroupId];
    // </jibri-pool>

    this.shards = endpoints.map(
      (ep) =>
        new JitsiShard(
          `${ep.id}-shard`,
          {
            deployment: config.deployment,
            region: region.name,
            shardId: ep.id,
            domain: config.domain,
            vpcId: vpc.vpcId,
            subnetIds: vpc.privateSubnetIds,
            privateZoneId: zone.zoneId,
            webSecurityGroupIds,
            xmppClientSecurityGroupIds: [...bridgeSecurityGroupIds, ...jibriSecurityGroupIds],
            xmppClientCidrs: peers.map((p) => p.vpcCidr),
            turnHosts,
            turnSecretParameterName: turnSecret ? turnSecretParameter(config.deployment, region.name) : undefined,
            turnSecretParameterArn: turnSecret?.parameter.arn,
            turnsPort: config.turn.tlsPort,
            turnCredentialTtlSeconds: config.turn.credentialTtlSeconds,
            instanceType: region.shard.instanceType,
            rootVolumeGiB: region.shard.rootVolumeGiB,
            stressThreshold: region.shard.stressThreshold,
            maxBridgeParticipants: region.shard.maxBridgeParticipants,
            relaysEnabled: true,
            p2p: region.shard.p2p,
            agent,
            tags,
          },
          { parent: this },
        ),
    );

    // <turn-cluster> (the TurnCluster component is built here)
    // coturn hosts with Elastic IPs at turn-<region>.<domain>, the name and secret the shards' Prosody hands out.
    const turn =
      turnSecret && turnHosts.length > 0
        ? new TurnCluster(
            `${region.name}-turn`,
            {
              deployment: config.deployment,
              region: region.name,
              domain: config.domain,
              hostname: turnHosts[0],
              hostedZoneId: config.hostedZoneId,
              vpcId: vpc.vpcId,
              publicSubnetIds: vpc.publicSubnetIds,
              turnSecretParameterName: turnSecretParameter(config.deployment, region.name),
              turnSecretParameterArn: turnSecret.parameter.arn,
              instances: region.turn.instances,
              instanceType: region.turn.instanceType,
              tlsPort: config.turn.tlsPort,
              relayPortMin: config.turn.relayPortMin,
              relayPortMax: config.turn.relayPortMax,
              userQuota: config.turn.userQuota,
              totalQuota: config.turn.totalQuota,
              maxBpsPerSession: config.turn.maxBpsPerSession,
              noTcpRelay: config.turn.noTcpRelay,
              acmeEmail: config.turn.acmeEmail,
              tags,
            },
            { parent: this },
          )
        : undefined;
    // </turn-cluster>

    // <monitoring> (the region's Monitoring component is built here)
    // Fleet/pool names are the --fleet/--pool values their hosts publish with (BridgeFleet: its component name).
    this.monitoring = new Monitoring(
      `${region.name}-monitoring`,
      {
        deployment: config.deployment,
        region: region.name,
        shardIds: ids,
        bridgeFleets: [{ name: `${region.name}-bridges`, autoScalingGroupName: bridges.autoScalingGroupName }],
        // "jibri": JibriPool's default poolName (components/jibri-pool.ts), the --pool its hosts use.
        jibriPools: [{ name: "jibri", autoScalingGroupName: jibri.autoScalingGroupName }],
        turnEnabled: config.turn.enabled,
        // The edge creates its own access-log group (EdgeProxy).
        externalLogServices: ["haproxy"],
        scalerFunctions: [
          { key: "bridge-scaler", functionName: bridges.scalerFunctionName },
          { key: "jibri-replenisher", functionName: jibri.replenisherFunctionName },
        ],
        otherAutoScalingGroupNames: [...this.shards.map((s) => s.autoScalingGroupName), edgeProxy.autoScalingGroupName, ...(turn?.autoScalingGroupNames ?? [])],
        logRetentionDays: config.monitoring.logRetentionDays,
        alarmEmails: config.monitoring.alarmEmails,
        // Jicofo calls a bridge above shard.stressThreshold overloaded; the alarm uses the same line.
        alarmThresholds: { ...config.monitoring.alarms, bridgeStress: region.shard.stressThreshold },
        tags,
      },
      { parent: this },
    );
    // </monitoring>

    // Users land in the nearest healthy region: a latency record of the meeting domain per region.
    if (config.hostedZoneId && edgeEndpoint) latencyRecord(`${name}-latency`, this, config.hostedZoneId, config.domain, region.name, edgeEndpoint);

    this.vpcId = vpc.vpcId;
    this.privateZoneId = zone.zoneId;
    // One route table per subnet (awsx's layout): public and private subnet of each AZ.
    this.routeTableCount = region.azCount * 2;
    this.routeTableIds = aws.ec2
      .getRouteTablesOutput({ vpcId: vpc.vpcId, filters: [{ name: "association.main", values: ["false"] }] }, { parent: this })
      .apply((r) => [...r.ids].sort());
    this.edge = edgeEndpoint;
    this.peerInfo = { name: region.name, vpcCidr: region.vpcCidr, shards: endpoints };
    this.registerOutputs({ vpcId: this.vpcId, privateZoneId: this.privateZoneId, routeTableIds: this.routeTableIds });
  }
}
