/**
 * Stack-per-region mode offline: the `peer` output a peer stack would export, derived from that stack's own
 * config file (Pulumi.<stack>.yaml beside this one) with deterministic mock ids. This stands in for the
 * StackReference the real engine would resolve; the shape is the one stacks/main.ts exports.
 */
import { createHash } from "crypto";
import { shardEndpoint, shardIds } from "../../config/naming";
import { PeerExport } from "../../stacks/peers";
import { PeerStackOutputs } from "./mocks";
import { loadStackConfig } from "./run";

const h = (s: string, n = 17) => createHash("sha256").update(s).digest("hex").slice(0, n);

export function mockPeerStackOutputs(root: string, stacks: readonly string[]): PeerStackOutputs {
  const out: PeerStackOutputs = {};
  for (const stack of stacks) {
    const short = stack.split("/").pop() as string;
    const { config } = loadStackConfig(root, short);
    if (config.regions.length !== 1)
      throw new Error(`peer stack ${stack}: Pulumi.${short}.yaml deploys ${config.regions.length} regions; a peer stack deploys exactly one`);
    const r = config.regions[0];
    const peer: PeerExport = {
      name: r.name,
      vpcCidr: r.vpcCidr,
      vpcId: `vpc-${h(`${stack}-vpc`)}`,
      privateZoneId: `Z${h(`${stack}-zone`, 20).toUpperCase()}`,
      routeTableIds: Array.from({ length: r.azCount * 2 }, (_, i) => `rtb-${h(`${stack}-rt-${i}`)}`),
      shards: shardIds(r.name, r.shards).map((id) => shardEndpoint(config.deployment, r.name, id)),
      edge: { dnsName: `${config.deployment}-edge-${h(stack, 8)}.${r.name}.elb.amazonaws.com`, zoneId: "Z32O12XQLNTSW2" },
    };
    out[stack] = { peer };
  }
  return out;
}
