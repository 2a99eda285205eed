/**
 * What one region tells the others: exported by a region stack (stack-per-region mode) and read through
 * `pulumi.StackReference`, or passed in memory when one program deploys every region.
 */
import { ShardEndpoint } from "../config/naming";

export interface RegionNetwork {
  readonly name: string;
  readonly vpcCidr: string;
  readonly vpcId: string;
  /** Private zone of the region's internal names (peers associate their VPCs with it). */
  readonly privateZoneId: string;
  /** Route tables of every subnet of the VPC (peering routes go into each). */
  readonly routeTableIds: string[];
}

/** The `peer` output of a region stack. */
export interface PeerExport extends RegionNetwork {
  readonly shards: ShardEndpoint[];
  /** The edge load balancer (latency records of the meeting domain point at it). */
  readonly edge?: { readonly dnsName: string; readonly zoneId: string };
}

/** Validates a StackReference's `peer` output, naming the stack and field when it is not what we export. */
export function parsePeerExport(stack: string, v: unknown): PeerExport {
  const o = v as Partial<PeerExport> | undefined;
  const need = (ok: boolean, field: string) => {
    if (!ok) throw new Error(`peer stack ${stack}: output peer.${field} is missing or malformed (deploy that stack with this version first)`);
  };
  need(!!o && typeof o === "object", "(the whole output)");
  need(typeof o!.name === "string", "name");
  need(typeof o!.vpcCidr === "string", "vpcCidr");
  need(typeof o!.vpcId === "string", "vpcId");
  need(typeof o!.privateZoneId === "string", "privateZoneId");
  need(Array.isArray(o!.routeTableIds), "routeTableIds");
  need(Array.isArray(o!.shards), "shards");
  return o as PeerExport;
}
