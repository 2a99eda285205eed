/**
 * Small offline mocks for planning this project without the Pulumi CLI or an AWS account: deterministic ids
 * and ARNs for what the components read back, answers for the invokes they make. An invoke it does not know
 * throws, so a gap shows up as an error rather than as an undefined field.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

const ACCOUNT = "123456789012";
const h = (s: string, n = 17) => createHash("sha256").update(s).digest("hex").slice(0, n);

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
}

export class ConsumerMocks implements pulumi.runtime.Mocks {
  readonly registered: Registered[] = [];
  /** The code archive of every Lambda function, by resource name (to list what the archive carries). */
  readonly lambdaCode = new Map<string, unknown>();
  constructor(private readonly region: string) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const { type, name, inputs } = args;
    this.registered.push({ type, name, custom: args.custom ?? true });
    if (type === "aws:lambda/function:Function") this.lambdaCode.set(name, inputs.code);
    const id = `${name}-${h(`${type}::${name}`, 8)}`;
    const physical = (inputs.name as string | undefined) ?? id;
    const svc = type.split(":")[1]?.split("/")[0] ?? "svc";
    const arn = (resource: string) => `arn:aws:${svc}:${this.region}:${ACCOUNT}:${resource}`;
    const state: Record<string, unknown> = { ...inputs, name: physical, arn: arn(physical) };
    switch (type) {
      case "aws:iam/role:Role":
      case "aws:iam/instanceProfile:InstanceProfile":
        state.arn = `arn:aws:iam::${ACCOUNT}:${type.endsWith("Role") ? "role" : "instance-profile"}/${physical}`;
        break;
      case "aws:s3/bucket:Bucket": {
        const bucket = (inputs.bucket as string | undefined) ?? id.toLowerCase();
        Object.assign(state, { bucket, arn: `arn:aws:s3:::${bucket}` });
        return { id: bucket, state };
      }
      case "aws:route53/zone:Zone":
        Object.assign(state, { zoneId: `Z${h(name, 20).toUpperCase()}` });
        break;
      case "aws:autoscaling/group:Group":
        state.arn = `arn:aws:autoscaling:${this.region}:${ACCOUNT}:autoScalingGroup:${h(name, 8)}-aaaa-bbbb-cccc-${h(name, 12)}:autoScalingGroupName/${physical}`;
        break;
      case "aws:ssm/parameter:Parameter":
        state.arn = `arn:aws:ssm:${this.region}:${ACCOUNT}:parameter${inputs.name as string}`;
        break;
      case "aws:lb/loadBalancer:LoadBalancer":
        Object.assign(state, { dnsName: `${physical}-${h(name, 10)}.${this.region}.elb.amazonaws.com`, zoneId: "Z215JYRZR1TBD5", arnSuffix: `app/${physical}/${h(name, 16)}` });
        break;
      case "aws:lb/targetGroup:TargetGroup":
        state.arnSuffix = `targetgroup/${physical}/${h(name, 16)}`;
        break;
      case "aws:acm/certificate:Certificate":
        state.domainValidationOptions = [inputs.domainName, ...((inputs.subjectAlternativeNames as string[] | undefined) ?? [])].map((n) => ({
          domainName: n, resourceRecordName: `_${h(String(n), 32)}.${String(n)}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${h(`${String(n)}v`, 32)}.acm-validations.aws.`,
        }));
        break;
      case "aws:ec2/eip:Eip":
        Object.assign(state, { allocationId: `eipalloc-${h(name)}`, publicIp: `198.51.100.${(parseInt(h(name, 2), 16) % 250) + 1}` });
        break;
      case "random:index/randomPassword:RandomPassword":
        state.result = `MockSecret${h(name, 24)}`;
        return { id: "none", state };
    }
    return { id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case "aws:ec2/getAmi:getAmi":
        return { id: `ami-${h(this.region)}`, imageId: `ami-${h(this.region)}`, name: "debian-12-amd64-20250101-1981", architecture: "x86_64" };
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/plan`, userId: "AIDAPLAN", id: ACCOUNT };
      case "aws:index/getRegion:getRegion":
        return { name: this.region, region: this.region, id: this.region };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:route53/getZone:getZone": {
        const zoneId = args.inputs.zoneId as string;
        return { zoneId, id: zoneId, arn: `arn:aws:route53:::hostedzone/${zoneId}`, name: "zone.internal", privateZone: true };
      }
      default:
        throw new Error(`consumer mocks: no answer for invoke ${args.token}`);
    }
  }
}
