/** Entry point of `pulumi up` (Pulumi.yaml main: bin/index.js after `npm run build`). */
import * as pulumi from "@pulumi/pulumi";
import { customRegion } from "./region";

const config = new pulumi.Config("consumer");
const region = new pulumi.Config("aws").get("region") ?? "eu-central-1";
const out = customRegion({
  deployment: config.get("deployment") ?? "acme",
  domain: config.get("domain") ?? "meet.example.com",
  region,
  vpcCidr: config.get("vpcCidr") ?? "10.40.0.0/16",
  azs: [`${region}a`, `${region}b`],
});
export const url = out.url;
export const loadBalancerDnsName = out.loadBalancerDnsName;
export const shardHostname = out.shardHostname;
export const bridgeGroup = out.bridgeGroup;
