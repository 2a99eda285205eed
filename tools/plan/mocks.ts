/**
 * Mocks of the AWS provider for the offline plan: realistic, deterministic ids and ARNs for the outputs the
 * program reads, answers for the invokes it makes, and a recorder of every registered resource with its
 * parent. Unknown invokes throw, so a gap shows up as an error rather than as undefined fields.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";

function hash(s: string, n = 17): string {
  return createHash("sha256").update(s).digest("hex").slice(0, n);
}

/** Stack outputs served for `pulumi.StackReference`s (stack-per-region mode), keyed by stack name. */
export type PeerStackOutputs = Record<string, Record<string, unknown>>;

export class PlanMocks implements pulumi.runtime.Mocks {
  /** Provider URN → region, learnt from the aws providers the program creates. */
  private readonly providerRegions = new Map<string, string>();
  /** Every fake secret value handed out (the plan checks none of them leaks into its files). */
  readonly generatedSecrets: string[] = [];

  constructor(
    private readonly defaultRegion: string,
    private readonly peerStacks: PeerStackOutputs = {},
  ) {}

  private regionOf(provider: string | undefined): string {
    if (!provider) return this.defaultRegion;
    // A provider reference is "<urn>::<id>"; providers are keyed by the id this mock gave them.
    return this.providerRegions.get(provider.split("::").pop() ?? "") ?? this.defaultRegion;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const { type, name, inputs } = args;
    const region = (inputs.region as string | undefined) ?? this.regionOf(args.provider);
    const h = hash(`${type}::${name}`);
    const physical = (inputs.name as string | undefined) ?? `${name}-${h.slice(0, 7)}`;
    const arn = (service: string, resource: string, r: string = region) => `arn:aws:${service}:${r}:${ACCOUNT_ID}:${resource}`;
    const base = { ...inputs };
    switch (type) {
      case "pulumi:providers:aws": {
        this.providerRegions.set(`provider-${h}`, inputs.region as string);
        return { id: `provider-${h}`, state: base };
      }
      case "pulumi:pulumi:StackReference": {
        const stack = inputs.name as string;
        const outputs = this.peerStacks[stack];
        if (!outputs) throw new Error(`plan mocks: no outputs for peer stack ${stack} (give them with --peer-outputs)`);
        return { id: stack, state: { ...base, outputs, secretOutputNames: [] } };
      }
      case "random:index/randomPassword:RandomPassword": {
        const result = `MockSecret${hash(name, 30)}`;
        this.generatedSecrets.push(result);
        return { id: `none`, state: { ...base, result, bcryptHash: `$2a$10$${hash(name, 53)}` } };
      }
      case "awsx:ec2:Vpc": {
        const azs = (inputs.numberOfAvailabilityZones as number | undefined) ?? 2;
        const sub = (kind: string) => Array.from({ length: azs }, (_, i) => `subnet-${hash(`${name}-${kind}-${i}`)}`);
        const vpcId = `vpc-${h}`;
        return {
          id: vpcId,
          state: {
            ...base,
            vpcId,
            publicSubnetIds: sub("public"),
            privateSubnetIds: sub("private"),
            isolatedSubnetIds: [],
            natGateways: [],
            vpc: { id: vpcId, arn: arn("ec2", `vpc/${vpcId}`), cidrBlock: inputs.cidrBlock },
          },
        };
      }
      case "aws:ec2/securityGroup:SecurityGroup": {
        const id = `sg-${h}`;
        return { id, state: { ...base, arn: arn("ec2", `security-group/${id}`), name: physical } };
      }
      case "aws:route53/zone:Zone": {
        const zoneId = `Z${hash(name, 20).toUpperCase()}`;
        return { id: zoneId, state: { ...base, zoneId, arn: `arn:aws:route53:::hostedzone/${zoneId}`, nameServers: [] } };
      }
      case "aws:iam/role:Role":
        return { id: physical, state: { ...base, name: physical, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${physical}`, uniqueId: `AROA${hash(name, 17).toUpperCase()}` } };
      case "aws:iam/instanceProfile:InstanceProfile":
        return { id: physical, state: { ...base, name: physical, arn: `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${physical}` } };
      case "aws:iam/policy:Policy":
        return { id: `arn:aws:iam::${ACCOUNT_ID}:policy/${physical}`, state: { ...base, name: physical, arn: `arn:aws:iam::${ACCOUNT_ID}:policy/${physical}` } };
      case "aws:ssm/parameter:Parameter":
        return { id: inputs.name, state: { ...base, arn: arn("ssm", `parameter${inputs.name}`) } };
      case "aws:ec2/instance:Instance": {
        // A single EC2 instance (the load-test hub): the program reads its id and private address.
        const id = `i-${h}`;
        const n = parseInt(h.slice(0, 4), 16);
        return { id, state: { ...base, arn: arn("ec2", `instance/${id}`), privateIp: `10.${n % 200}.${(n >> 8) % 250}.${(n % 240) + 10}`, privateDns: `ip-${id}.ec2.internal`, publicIp: `203.0.113.${(n % 250) + 1}`, instanceState: "running" } };
      }
      case "aws:ec2/launchTemplate:LaunchTemplate": {
        const id = `lt-${h}`;
        return { id, state: { ...base, name: physical, arn: arn("ec2", `launch-template/${id}`), latestVersion: 1, defaultVersion: 1 } };
      }
      case "aws:autoscaling/group:Group":
        return {
          id: physical,
          state: { ...base, name: physical, arn: arn("autoscaling", `autoScalingGroup:${hash(name, 8)}-${hash(name + "u", 4)}-${hash(name + "v", 4)}-${hash(name + "w", 4)}-${hash(name + "x", 12)}:autoScalingGroupName/${physical}`) },
        };
      case "aws:lambda/function:Function":
        return {
          id: physical,
          state: { ...base, name: physical, arn: arn("lambda", `function:${physical}`), invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn("lambda", `function:${physical}`)}/invocations`, version: "$LATEST" },
        };
      case "aws:s3/bucket:Bucket": {
        const bucket = (inputs.bucket as string | undefined) ?? `${name}-${h.slice(0, 7)}`.toLowerCase();
        return { id: bucket, state: { ...base, bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`, region } };
      }
      case "aws:sns/topic:Topic":
        return { id: arn("sns", physical), state: { ...base, name: physical, arn: arn("sns", physical) } };
      case "aws:sqs/queue:Queue":
        return { id: `https://sqs.${region}.amazonaws.com/${ACCOUNT_ID}/${physical}`, state: { ...base, name: physical, arn: arn("sqs", physical), url: `https://sqs.${region}.amazonaws.com/${ACCOUNT_ID}/${physical}` } };
      case "aws:cloudwatch/logGroup:LogGroup":
        return { id: physical, state: { ...base, name: physical, arn: arn("logs", `log-group:${physical}`) } };
      case "aws:cloudwatch/eventRule:EventRule":
        return { id: physical, state: { ...base, name: physical, arn: arn("events", `rule/${physical}`) } };
      case "aws:lb/loadBalancer:LoadBalancer":
        return {
          id: arn("elasticloadbalancing", `loadbalancer/app/${physical}/${h.slice(0, 16)}`),
          state: { ...base, name: physical, arn: arn("elasticloadbalancing", `loadbalancer/app/${physical}/${h.slice(0, 16)}`), arnSuffix: `app/${physical}/${h.slice(0, 16)}`, dnsName: `${physical}-${h.slice(0, 10)}.${region}.elb.amazonaws.com`, zoneId: "Z35SXDOTRQ7X7K" },
        };
      case "aws:lb/targetGroup:TargetGroup":
        return { id: arn("elasticloadbalancing", `targetgroup/${physical}/${h.slice(0, 16)}`), state: { ...base, name: physical, arn: arn("elasticloadbalancing", `targetgroup/${physical}/${h.slice(0, 16)}`), arnSuffix: `targetgroup/${physical}/${h.slice(0, 16)}` } };
      case "aws:acm/certificate:Certificate": {
        const domain = inputs.domainName as string;
        const names = [domain, ...((inputs.subjectAlternativeNames as string[] | undefined) ?? [])];
        return {
          id: arn("acm", `certificate/${h}`),
          state: {
            ...base,
            arn: arn("acm", `certificate/${h}`),
            domainValidationOptions: names.map((n) => ({ domainName: n, resourceRecordName: `_${hash(n, 32)}.${n}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${hash(n + "v", 32)}.acm-validations.aws.` })),
          },
        };
      }
      case "aws:ec2/eip:Eip": {
        const n = parseInt(h.slice(0, 4), 16);
        return { id: `eipalloc-${h}`, state: { ...base, allocationId: `eipalloc-${h}`, publicIp: `198.51.100.${(n % 250) + 1}`, publicDns: `ec2-198-51-100-${(n % 250) + 1}.compute-1.amazonaws.com` } };
      }
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        return { id: physical, state: { ...base, name: physical, arn: arn("cloudwatch", `alarm:${physical}`) } };
      case "aws:route53/healthCheck:HealthCheck":
        return { id: `${h}-hc`, state: { ...base, arn: `arn:aws:route53:::healthcheck/${h}-hc` } };
      default: {
        const svc = type.split(":")[1]?.split("/")[0] ?? "svc";
        return { id: `${name}-${h.slice(0, 8)}`, state: { ...base, arn: base.arn ?? arn(svc, `${name}`), name: base.name ?? physical } };
      }
    }
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const region = this.regionOf(args.provider);
    switch (args.token) {
      case "aws:ec2/getAmi:getAmi":
        return { id: `ami-${hash(`${region}-debian-12`)}`, name: "debian-12-amd64-20250101-1981", architecture: "x86_64", ownerId: "136693071363", imageId: `ami-${hash(`${region}-debian-12`)}` };
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/plan`, userId: "AIDAPLAN", id: ACCOUNT_ID };
      case "aws:index/getRegion:getRegion":
        return { name: region, region, id: region, description: region, endpoint: `ec2.${region}.amazonaws.com` };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:index/getAvailabilityZones:getAvailabilityZones": {
        const names = ["a", "b", "c", "d", "e", "f"].map((s) => `${region}${s}`);
        return { names, zoneIds: names.map((_, i) => `${region.slice(0, 3)}-az${i + 1}`), id: region };
      }
      case "aws:ec2/getRouteTables:getRouteTables": {
        // One route table per subnet (awsx's layout); the program takes as many as its layout has.
        const vpc = (args.inputs.vpcId as string) ?? "vpc";
        return { ids: Array.from({ length: 12 }, (_, i) => `rtb-${hash(`${vpc}-${i}`)}`), id: vpc, vpcId: vpc };
      }
      case "aws:route53/getZone:getZone": {
        const zoneId = args.inputs.zoneId as string;
        return { zoneId, id: zoneId, arn: `arn:aws:route53:::hostedzone/${zoneId}`, name: args.inputs.name ?? "zone.example", privateZone: args.inputs.privateZone ?? false };
      }
      default:
        throw new Error(`plan mocks: no answer for invoke ${args.token}; add it to tools/plan/mocks.ts`);
    }
  }
}
