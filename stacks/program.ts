/**
 * The program: one Region per configured region, each with its own AWS provider.
 * `pulumi up` runs it through stacks/main.ts; the offline plan runs the same function under mocks.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { shardEndpoint, shardIds } from "../config/naming";
import { JitsiConfig } from "../config/schema";
import { PeerRegion, Region } from "./region";

export interface ProgramOutputs {
  readonly regions: Record<string, { vpcId: pulumi.Output<string>; shards: pulumi.Output<string>[] }>;
}

/** Every configured region as a peer of the others (names are deterministic, so no waiting on resources). */
export function configuredPeers(config: JitsiConfig): PeerRegion[] {
  return config.regions.map((r) => ({
    name: r.name,
    vpcCidr: r.vpcCidr,
    shards: shardIds(r.name, r.shards).map((id) => shardEndpoint(config.deployment, r.name, id)),
  }));
}

export function jitsiProgram(config: JitsiConfig): ProgramOutputs {
  const all = configuredPeers(config);
  const regions: Record<string, Region> = {};
  for (const r of config.regions) {
    const provider = new aws.Provider(`aws-${r.name}`, {
      region: r.name as aws.Region,
      defaultTags: { tags: { ...config.tags, "jitsi:deployment": config.deployment } },
    });
    regions[r.name] = new Region(
      r.name,
      { config, region: r, peers: all.filter((p) => p.name !== r.name) },
      { providers: { aws: provider } },
    );
  }
  return {
    regions: Object.fromEntries(
      Object.entries(regions).map(([n, reg]) => [n, { vpcId: reg.vpcId, shards: reg.shards.map((s) => s.privateHostname) }]),
    ),
  };
}
