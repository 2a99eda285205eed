/**
 * The network path between regions: inter-region VPC peering in a full mesh, with routes in every subnet's
 * route table and each region's private zone associated with the other VPCs, so a bridge in one region logs
 * in to the shards of another (XMPP 5222 over private addresses) and relays reach each other.
 * Why peering: no hourly attachment or per-GB processing charge (Transit Gateway has both), encrypted by
 * AWS between regions, and a mesh of ≤ 8 regions is at most 28 connections (docs/regions.md).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface MeshSide {
  readonly name: string;
  readonly vpcCidr: string;
  readonly vpcId: pulumi.Input<string>;
  readonly privateZoneId: pulumi.Input<string>;
  readonly routeTableIds: pulumi.Input<string[]>;
  /** How many route tables the VPC has (one per subnet: known from the layout, so routes are plain resources). */
  readonly routeTableCount: number;
  readonly provider: aws.Provider;
}

/** Peers `a` (requester) with `b` (accepter): connection, acceptance, routes both ways, zone associations. */
export function peerRegions(name: string, a: MeshSide, b: MeshSide, parent: pulumi.Resource, tags: Record<string, string>) {
  const pa = { parent, provider: a.provider };
  const pb = { parent, provider: b.provider };
  const peering = new aws.ec2.VpcPeeringConnection(
    `${name}-peering`,
    { vpcId: a.vpcId, peerVpcId: b.vpcId, peerRegion: b.name, autoAccept: false, tags: { ...tags, Name: name } },
    pa,
  );
  const accepter = new aws.ec2.VpcPeeringConnectionAccepter(
    `${name}-accepter`,
    { vpcPeeringConnectionId: peering.id, autoAccept: true, tags: { ...tags, Name: name } },
    pb,
  );
  const routes = (side: MeshSide, other: MeshSide, opts: pulumi.CustomResourceOptions, label: string) =>
    Array.from(
      { length: side.routeTableCount },
      (_, i) =>
        new aws.ec2.Route(
          `${name}-${label}-route-${i}`,
          {
            routeTableId: pulumi.output(side.routeTableIds).apply((ids) => {
              if (ids[i] === undefined) throw new Error(`${side.name}: VPC has ${ids.length} route tables, expected ${side.routeTableCount}`);
              return ids[i];
            }),
            destinationCidrBlock: other.vpcCidr,
            vpcPeeringConnectionId: peering.id,
          },
          { ...opts, dependsOn: [accepter] },
        ),
    );
  const routesA = routes(a, b, pa, a.name);
  const routesB = routes(b, a, pb, b.name);
  // Each region resolves the other's private names (shard host names) over the peering.
  const zoneAtoB = new aws.route53.ZoneAssociation(`${name}-${a.name}-zone-in-${b.name}`, { zoneId: a.privateZoneId, vpcId: b.vpcId, vpcRegion: b.name }, pa);
  const zoneBtoA = new aws.route53.ZoneAssociation(`${name}-${b.name}-zone-in-${a.name}`, { zoneId: b.privateZoneId, vpcId: a.vpcId, vpcRegion: a.name }, pb);
  return { peering, accepter, routes: [...routesA, ...routesB], zoneAssociations: [zoneAtoB, zoneBtoA] };
}

/** Every unordered pair of regions, in a stable order (a sorts before b). */
export function meshPairs<T extends { name: string }>(regions: T[]): [T, T][] {
  const sorted = [...regions].sort((x, y) => x.name.localeCompare(y.name));
  const pairs: [T, T][] = [];
  for (let i = 0; i < sorted.length; i++) for (let j = i + 1; j < sorted.length; j++) pairs.push([sorted[i], sorted[j]]);
  return pairs;
}
