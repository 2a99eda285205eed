/**
 * A custom region built from the jitsi-aws components instead of the packaged Region: its own small VPC
 * (plain @pulumi/aws resources), one shard, the edge proxies in front of it, one bridge fleet, no TURN and
 * no recorders. Only the package root ("jitsi-aws") is imported, as any consumer would.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AgentArtifacts, BridgeFleet, EdgeProxy, JitsiShard, privateZoneName, shardEndpoint, shardIds } from "jitsi-aws";

export interface CustomRegionArgs {
  readonly deployment: string;
  readonly region: string;
  readonly domain: string;
  /** /16 of the VPC; subnets are /20s carved from it. */
  readonly vpcCidr: string;
  /** Two AZs: the load balancer needs two. */
  readonly azs: [string, string];
}

export function customRegion(args: CustomRegionArgs) {
  const { deployment, region, domain, vpcCidr, azs } = args;
  const tags = { "jitsi:deployment": deployment, owner: "consumer-example" };
  const octets = vpcCidr.split("/")[0].split(".");
  const subnetCidr = (i: number) => `${octets[0]}.${octets[1]}.${i * 16}.0/20`;

  // Network: public subnets for the load balancer and the bridges, private ones (one NAT) for shard and edge.
  const vpc = new aws.ec2.Vpc("net", { cidrBlock: vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags });
  const igw = new aws.ec2.InternetGateway("net-igw", { vpcId: vpc.id, tags });
  const publicRt = new aws.ec2.RouteTable("net-public", { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags });
  const publicSubnets = azs.map((az, i) => {
    const s = new aws.ec2.Subnet(`net-public-${i}`, { vpcId: vpc.id, availabilityZone: az, cidrBlock: subnetCidr(i), mapPublicIpOnLaunch: true, tags });
    new aws.ec2.RouteTableAssociation(`net-public-${i}`, { subnetId: s.id, routeTableId: publicRt.id });
    return s;
  });
  const natIp = new aws.ec2.Eip("net-nat", { domain: "vpc", tags });
  const nat = new aws.ec2.NatGateway("net-nat", { allocationId: natIp.id, subnetId: publicSubnets[0].id, tags });
  const privateRt = new aws.ec2.RouteTable("net-private", { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags });
  const privateSubnets = azs.map((az, i) => {
    const s = new aws.ec2.Subnet(`net-private-${i}`, { vpcId: vpc.id, availabilityZone: az, cidrBlock: subnetCidr(i + 8), tags });
    new aws.ec2.RouteTableAssociation(`net-private-${i}`, { subnetId: s.id, routeTableId: privateRt.id });
    return s;
  });
  const zone = new aws.route53.Zone("net-zone", { name: privateZoneName(deployment, region), vpcs: [{ vpcId: vpc.id, vpcRegion: region }], tags });

  // The shard's name, XMPP accounts and secrets are deterministic: the edge and the bridges need no output of it.
  const shard = shardEndpoint(deployment, region, shardIds(region, 1)[0]);
  const agent = new AgentArtifacts("agent", { tags }).location;

  const edge = new EdgeProxy("edge", {
    deployment, region, domain, vpcId: vpc.id, vpcCidr,
    publicSubnetIds: publicSubnets.map((s) => s.id),
    privateSubnetIds: privateSubnets.map((s) => s.id),
    shards: [{ id: shard.id, hostname: shard.hostname }],
    agent, instances: 2, tags,
  });
  const bridges = new BridgeFleet("bridges", {
    deployment, region, domain, vpcId: vpc.id,
    subnetIds: publicSubnets.map((s) => s.id),
    shards: [shard],
    xmppDestinationCidrs: [vpcCidr],
    websocketSourceSecurityGroupIds: [edge.securityGroupId],
    agent, minBridges: 1, maxBridges: 4, tags,
  });
  const signalling = new JitsiShard("shard", {
    deployment, region, shardId: shard.id, domain, vpcId: vpc.id,
    subnetIds: privateSubnets.map((s) => s.id),
    privateZoneId: zone.zoneId,
    webSecurityGroupIds: [edge.securityGroupId],
    xmppClientSecurityGroupIds: [bridges.securityGroupId],
    agent, tags,
  });

  return {
    url: pulumi.interpolate`https://${domain}/ (point ${domain} at ${edge.loadBalancerDnsName})`,
    loadBalancerDnsName: edge.loadBalancerDnsName,
    shardHostname: signalling.privateHostname,
    bridgeGroup: bridges.autoScalingGroupName,
  };
}
