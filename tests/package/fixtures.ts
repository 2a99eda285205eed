/**
 * Inputs a Python, Go, .NET or YAML program would send for each component: plain JSON values only (strings,
 * numbers, booleans, arrays, objects), as the engine hands them to the provider's `construct`.
 */
const REGION = "us-east-1";
const DEPLOYMENT = "acme";
const DOMAIN = "meet.example.com";
const VPC = "vpc-0a1b2c3d4e5f60718";
const AGENT = { bucket: "acme-agent-bucket", key: "agents/0123456789abcdef/agent.js", objectArn: "arn:aws:s3:::acme-agent-bucket/agents/0123456789abcdef/agent.js" };
const SHARD = {
  id: "us-east-1-s1",
  region: REGION,
  hostname: "us-east-1-s1.acme.us-east-1.jitsi.internal",
  secretParameters: { focus: "/acme/us-east-1/us-east-1-s1/focus", jvb: "/acme/us-east-1/us-east-1-s1/jvb", jibri: "/acme/us-east-1/us-east-1-s1/jibri", recorder: "/acme/us-east-1/us-east-1-s1/recorder" },
};
const PUBLIC = ["subnet-0aaa000000000001", "subnet-0aaa000000000002"];
const PRIVATE = ["subnet-0bbb000000000001", "subnet-0bbb000000000002"];
const TAGS = { team: "rtc" };

export const CONSTRUCT_INPUTS: Record<string, Record<string, unknown>> = {
  AgentArtifacts: { tags: TAGS },
  JitsiShard: {
    deployment: DEPLOYMENT, region: REGION, shardId: SHARD.id, domain: DOMAIN, vpcId: VPC, subnetIds: PRIVATE,
    privateZoneId: "Z0123456789ABCDEFGHIJ", webSecurityGroupIds: ["sg-0edge000000000001"], xmppClientSecurityGroupIds: ["sg-0jvb0000000000001"],
    agent: AGENT, tags: TAGS,
  },
  EdgeProxy: {
    deployment: DEPLOYMENT, region: REGION, domain: DOMAIN, vpcId: VPC, vpcCidr: "10.20.0.0/16", publicSubnetIds: PUBLIC, privateSubnetIds: PRIVATE,
    shards: [{ id: SHARD.id, hostname: SHARD.hostname }], agent: AGENT, tags: TAGS,
  },
  BridgeFleet: {
    deployment: DEPLOYMENT, region: REGION, domain: DOMAIN, vpcId: VPC, subnetIds: PUBLIC, shards: [SHARD], xmppDestinationCidrs: ["10.20.0.0/16"],
    agent: AGENT, minBridges: 1, maxBridges: 4, tags: TAGS,
  },
  JibriPool: { deployment: DEPLOYMENT, region: REGION, domain: DOMAIN, shards: [SHARD], vpcId: VPC, subnetIds: PRIVATE, agent: AGENT, idleTarget: 1, max: 3, tags: TAGS },
  TurnCluster: {
    deployment: DEPLOYMENT, region: REGION, domain: DOMAIN, hostname: `turn-${REGION}.${DOMAIN}`, vpcId: VPC, publicSubnetIds: PUBLIC,
    turnSecretParameterName: "/acme/us-east-1/turn-secret", turnSecretParameterArn: "arn:aws:ssm:us-east-1:123456789012:parameter/acme/us-east-1/turn-secret", tags: TAGS,
  },
  Monitoring: {
    deployment: DEPLOYMENT, region: REGION, shardIds: [SHARD.id], bridgeFleets: [{ name: `${REGION}-bridges`, autoScalingGroupName: "acme-us-east-1-bridges" }],
    turnEnabled: false, tags: TAGS,
  },
  TortureGrid: {
    deployment: "acme-loadtest", region: REGION, vpcId: VPC, subnetIds: PUBLIC, targetDomain: DOMAIN, allowedDomains: [DOMAIN],
    conferences: 2, participants: 5, senders: 2, durationSeconds: 300, tags: TAGS,
  },
  GlobalDashboard: {
    deployment: DEPLOYMENT, homeRegion: REGION,
    regions: [{ region: REGION, shards: [SHARD.id], fleets: [{ name: `${REGION}-bridges`, autoScalingGroupName: "acme-us-east-1-bridges" }], pools: [], turnEnabled: false, scalerFunctionNames: [], hostAutoScalingGroupNames: [] }],
  },
};
