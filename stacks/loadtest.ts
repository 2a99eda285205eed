/**
 * The load-test program: when the stack config has `jitsi:loadtest`, the stack deploys no Jitsi at all, only a
 * TortureGrid per entry of `jitsi:regions` (each entry gives the grid's VPC: `name`, `vpcCidr`, `azCount`; the
 * Jitsi-specific fields of a region are ignored). The conferences are split across the grids
 * (sim/loadtest-sizing.ts splitConferences). docs/loadtest.md.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { JitsiConfig } from "../config/schema";
import { TortureGrid } from "../components/torture-grid";
import { splitConferences } from "../sim/loadtest-sizing";

export interface LoadtestOutputs {
  readonly grids: Record<string, TortureGrid>;
}

export function loadtestProgram(config: JitsiConfig): LoadtestOutputs {
  const lt = config.loadtest;
  if (!lt) throw new Error("loadtestProgram: jitsi:loadtest is not set");
  const tags = { ...config.tags, "jitsi:deployment": config.deployment, "jitsi:loadtest": config.deployment };
  const split = splitConferences(lt.conferences, config.regions.length);
  const grids: Record<string, TortureGrid> = {};
  config.regions.forEach((r, i) => {
    if (split[i] === 0) return; // fewer conferences than regions: this region has nothing to run
    const provider = new aws.Provider(`aws-${r.name}`, { region: r.name as aws.Region, defaultTags: { tags } });
    // Public subnets only: the browsers need the internet, and a NAT gateway per AZ would cost more than the nodes.
    const vpc = new awsx.ec2.Vpc(
      `${r.name}-loadtest-vpc`,
      {
        cidrBlock: r.vpcCidr,
        numberOfAvailabilityZones: r.azCount,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: "None" },
        subnetStrategy: "Auto",
        subnetSpecs: [{ type: "Public" }],
        tags,
      },
      { provider },
    );
    grids[r.name] = new TortureGrid(
      `${r.name}-torture`,
      {
        deployment: config.deployment,
        region: r.name,
        vpcId: vpc.vpcId,
        subnetIds: vpc.publicSubnetIds,
        targetDomain: lt.targetDomain,
        allowedDomains: lt.allowedDomains,
        conferences: split[i],
        participants: lt.participants,
        senders: lt.senders,
        durationSeconds: lt.durationSeconds,
        roomPrefix: lt.roomPrefix,
        clientRegions: lt.clientRegions,
        maxDisruptedBridgesPct: lt.maxDisruptedBridgesPct,
        loadTestMode: lt.loadTestMode,
        participantsPerTab: lt.participantsPerTab,
        nodeInstanceType: lt.nodeInstanceType,
        hubInstanceType: lt.hubInstanceType,
        maxNodes: lt.maxNodes,
        maxDurationMinutes: lt.maxDurationMinutes,
        tortureRef: lt.tortureRef,
        seleniumVersion: lt.seleniumVersion,
        autoStart: lt.autoStart,
        logRetentionDays: config.monitoring.logRetentionDays,
        tags,
      },
      { providers: { aws: provider } },
    );
  });
  return { grids };
}

/** What the stack exports for the operator (hub, bucket, dashboard, cost per region). */
export function loadtestExports(o: LoadtestOutputs): Record<string, pulumi.Output<unknown>> {
  return Object.fromEntries(
    Object.entries(o.grids).map(([region, g]) => [
      region,
      pulumi.all([g.hubInstanceId, g.nodeGroupName, g.nodeCount, g.reportsBucket, g.dashboardName, g.costEstimate]).apply(([hubInstanceId, nodeGroupName, nodeCount, reportsBucket, dashboardName, costEstimate]) => ({
        hubInstanceId,
        nodeGroupName,
        nodeCount,
        reportsBucket,
        dashboardName,
        costEstimate,
      })),
    ]),
  );
}
