/**
 * The program: one Region per configured region, each with its own AWS provider, joined by a VPC peering
 * mesh. In stack-per-region mode (`jitsi:peerStacks`), the regions deployed by other stacks are read from
 * their `peer` output through StackReferences and joined the same way.
 * `pulumi up` runs it through stacks/main.ts; the offline plan runs the same function under mocks.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { shardEndpoint, shardIds } from "../config/naming";
import { JitsiConfig } from "../config/schema";
import { GlobalDashboard, ownsGlobalDashboard, peerDashboardInput } from "../components/global-dashboard";
import { meshPairs, MeshSide, peerRegions } from "./mesh";
import { parsePeerExport, PeerExport } from "./peers";
import { loadtestExports, loadtestProgram } from "./loadtest";
import { PeerRegion, Region } from "./region";

export interface ProgramOutputs {
  /** Per deployed region: what a peer stack needs (exported as `peers`; `peer` when one region). */
  readonly peers: Record<string, pulumi.Output<PeerExport>>;
  /** Load-test stacks only: per grid region, the hub, node group, reports bucket, dashboard and cost estimate. */
  readonly loadtest?: Record<string, pulumi.Output<unknown>>;
}

/** Every configured region as a peer of the others (names are deterministic, so no waiting on resources). */
export function configuredPeers(config: JitsiConfig): PeerRegion[] {
  return config.regions.map((r) => ({
    name: r.name,
    vpcCidr: r.vpcCidr,
    shards: shardIds(r.name, r.shards).map((id) => shardEndpoint(config.deployment, r.name, id)),
  }));
}

function provider(region: string, config: JitsiConfig): aws.Provider {
  return new aws.Provider(`aws-${region}`, {
    region: region as aws.Region,
    defaultTags: { tags: { ...config.tags, "jitsi:deployment": config.deployment } },
  });
}

/** Reads the peer stacks' `peer` outputs (stack-per-region mode). */
async function readPeerStacks(config: JitsiConfig): Promise<PeerExport[]> {
  const out: PeerExport[] = [];
  for (const stack of config.peerStacks) {
    const ref = new pulumi.StackReference(stack);
    const details = await ref.getOutputDetails("peer");
    out.push(parsePeerExport(stack, details.value ?? details.secretValue));
  }
  const local = new Set(config.regions.map((r) => r.name));
  for (const p of out)
    if (local.has(p.name)) throw new Error(`jitsi:peerStacks: ${p.name} is deployed by this stack and by a peer stack; each region belongs to one stack`);
  return out;
}

export async function jitsiProgram(config: JitsiConfig): Promise<ProgramOutputs> {
  // A load-test stack deploys only the Selenium grids (stacks/loadtest.ts), never a Jitsi deployment.
  if (config.loadtest) {
    return { peers: {}, loadtest: loadtestExports(loadtestProgram(config)) };
  }
  const remote = await readPeerStacks(config);
  const peers: PeerRegion[] = [
    ...configuredPeers(config),
    ...remote.map((p) => ({ name: p.name, vpcCidr: p.vpcCidr, shards: p.shards })),
  ];
  const tags = { ...config.tags, "jitsi:deployment": config.deployment };

  const sides: MeshSide[] = [];
  const regions: Record<string, Region> = {};
  for (const r of config.regions) {
    const prov = provider(r.name, config);
    const region = new Region(r.name, { config, region: r, peers: peers.filter((p) => p.name !== r.name) }, { providers: { aws: prov } });
    regions[r.name] = region;
    sides.push({
      name: r.name,
      vpcCidr: r.vpcCidr,
      vpcId: region.vpcId,
      privateZoneId: region.privateZoneId,
      routeTableIds: region.routeTableIds,
      routeTableCount: region.routeTableCount,
      provider: prov,
    });
  }
  const localNames = new Set(sides.map((s) => s.name));
  for (const p of remote)
    sides.push({ ...p, routeTableCount: p.routeTableIds.length, provider: provider(p.name, config) });

  // The mesh. A pair of two remote regions belongs to their own stacks; a local-remote pair is created by
  // the stack of the region that sorts later, so each connection has exactly one owner (docs/regions.md).
  for (const [a, b] of meshPairs(sides)) {
    const aLocal = localNames.has(a.name);
    const bLocal = localNames.has(b.name);
    if (!aLocal && !bLocal) continue;
    if (aLocal !== bLocal && !bLocal) continue;
    const owner = regions[b.name];
    peerRegions(`${a.name}-${b.name}`, a, b, owner, tags);
  }

  // <global-monitoring> (one dashboard over every region; exactly one stack owns it)
  const localList = config.regions.map((r) => r.name);
  if (ownsGlobalDashboard(localList, remote.map((p) => p.name))) {
    const home = [...localList].sort()[0];
    new GlobalDashboard(
      "global",
      {
        deployment: config.deployment,
        homeRegion: home,
        regions: [
          ...Object.values(regions).map((reg) => reg.monitoring.dashboardInput),
          ...remote.map((p) => peerDashboardInput(p.name, p.shards.map((s) => s.id), config.turn.enabled)),
        ],
      },
      { providers: { aws: sides.find((s) => s.name === home)!.provider } },
    );
  }
  // </global-monitoring>

  return {
    peers: Object.fromEntries(
      Object.entries(regions).map(([n, reg]) => [
        n,
        pulumi
          .all([reg.vpcId, reg.privateZoneId, reg.routeTableIds, reg.edge?.dnsName ?? "", reg.edge?.zoneId ?? ""])
          .apply(([vpcId, privateZoneId, routeTableIds, dnsName, zoneId]) => ({
            name: n,
            vpcCidr: reg.peerInfo.vpcCidr,
            vpcId,
            privateZoneId,
            routeTableIds,
            shards: reg.peerInfo.shards,
            ...(dnsName ? { edge: { dnsName, zoneId } } : {}),
          })),
      ]),
    ),
  };
}
