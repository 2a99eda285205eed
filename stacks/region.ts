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
import { JitsiShard } from "../components/jitsi-shard";
import { generatedSecret } from "../components/secrets";

/** What a region knows of another region of the same deployment (from this program or a peer stack). */
export interface PeerRegion {
  readonly name: string;
  readonly vpcCidr: string;
  /** The peer's shards: this region's bridges register with them for relays. */
  readonly shards: ShardEndpoint[];
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

    // <edge-proxy> (the EdgeProxy component is built here and gives the shards their web sources)
    const webSecurityGroupIds: pulumi.Input<string>[] = [];
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
        agent,
        instanceType: region.bridges.instanceType,
        minBridges: region.bridges.min,
        maxBridges: region.bridges.max,
        warmPool: region.bridges.warmPool,
        spot: region.bridges.spot,
        maxDrainSeconds: region.bridges.maxDrainSeconds,
        relaysEnabled: true,
        logRetentionDays: config.monitoring.logRetentionDays,
        tags,
      },
      { parent: this },
    );
    const bridgeSecurityGroupIds: pulumi.Input<string>[] = [bridges.securityGroupId];
    // </bridge-fleet>

    // <jibri-pool> (the JibriPool component is built here; its security group may reach the shards' XMPP)
    const jibriSecurityGroupIds: pulumi.Input<string>[] = [];
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
    // </turn-cluster>

    // <monitoring> (the region's Monitoring component is built here)
    // </monitoring>

    this.vpcId = vpc.vpcId;
    this.privateZoneId = zone.zoneId;
    this.peerInfo = { name: region.name, vpcCidr: region.vpcCidr, shards: endpoints };
    this.registerOutputs({ vpcId: this.vpcId, privateZoneId: this.privateZoneId });
  }
}
