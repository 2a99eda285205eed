/**
 * The parent/child tree of a stack, for stack policies that check a component through its children.
 * Components are found both as resources in the list and through their children's parent URNs, so a rule
 * still works when an engine hands stack policies only custom resources.
 */
import { PolicyResource } from "@pulumi/policy";

/** URN = urn:pulumi:<stack>::<project>::<parentType$...$type>::<name>. */
export function urnTypeChain(urn: string): string[] {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[2].split("$") : [];
}

export function urnType(urn: string): string {
  const chain = urnTypeChain(urn);
  return chain[chain.length - 1] ?? "";
}

export function urnName(urn: string): string {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts.slice(3).join("::") : urn;
}

/** A node of the tree: a resource of the stack, or a component known only from its children. */
export interface GraphNode {
  urn: string;
  type: string;
  name: string;
  props: Record<string, unknown>;
  parentUrn?: string;
}

export class StackGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly children = new Map<string, string[]>();

  constructor(resources: readonly PolicyResource[]) {
    for (const r of resources) {
      const parentUrn = r.parent?.urn ?? r.opts?.parent ?? undefined;
      this.nodes.set(r.urn, { urn: r.urn, type: r.type, name: r.name, props: r.props ?? {}, parentUrn });
    }
    for (const n of [...this.nodes.values()]) {
      if (n.parentUrn && !this.nodes.has(n.parentUrn))
        this.nodes.set(n.parentUrn, { urn: n.parentUrn, type: urnType(n.parentUrn), name: urnName(n.parentUrn), props: {} });
    }
    for (const n of this.nodes.values()) {
      if (!n.parentUrn) continue;
      const siblings = this.children.get(n.parentUrn) ?? [];
      siblings.push(n.urn);
      this.children.set(n.parentUrn, siblings);
    }
  }

  all(): GraphNode[] {
    return [...this.nodes.values()];
  }

  ofType(...types: string[]): GraphNode[] {
    return this.all().filter((n) => types.includes(n.type));
  }

  get(urn: string): GraphNode | undefined {
    return this.nodes.get(urn);
  }

  /** Every resource below `urn` (children, grandchildren, ...). */
  descendants(urn: string, ...types: string[]): GraphNode[] {
    const out: GraphNode[] = [];
    const queue = [...(this.children.get(urn) ?? [])];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const u = queue.shift() as string;
      if (seen.has(u)) continue;
      seen.add(u);
      const n = this.nodes.get(u);
      if (n && (types.length === 0 || types.includes(n.type))) out.push(n);
      queue.push(...(this.children.get(u) ?? []));
    }
    return out;
  }

  /** Direct children of the same parent as `node` (not including it). */
  siblings(node: GraphNode, ...types: string[]): GraphNode[] {
    if (!node.parentUrn) return [];
    return (this.children.get(node.parentUrn) ?? [])
      .filter((u) => u !== node.urn)
      .map((u) => this.nodes.get(u) as GraphNode)
      .filter((n) => types.length === 0 || types.includes(n.type));
  }
}

/** Resource type tokens the rules look at. */
export const T = {
  shard: "jitsi:index:JitsiShard",
  edge: "jitsi:index:EdgeProxy",
  bridges: "jitsi:index:BridgeFleet",
  jibri: "jitsi:index:JibriPool",
  turn: "jitsi:index:TurnCluster",
  region: "jitsi:index:Region",
  asg: "aws:autoscaling/group:Group",
  hook: "aws:autoscaling/lifecycleHook:LifecycleHook",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  instance: "aws:ec2/instance:Instance",
  lambda: "aws:lambda/function:Function",
  ssmParameter: "aws:ssm/parameter:Parameter",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  awsxVpc: "awsx:ec2:Vpc",
  vpc: "aws:ec2/vpc:Vpc",
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  bucketSse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketSseV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  bucketPab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
} as const;
