/**
 * The one schema of the stack config: every `jitsi:*` key. Parsed once, at program start, by parseConfig().
 * Sections live in config/sections/ (one per component); their defaults in config/defaults.ts.
 */
import { z } from "zod";
import { AWS_REGIONS } from "./aws-catalog";
import { DEFAULTS } from "./defaults";
import { cidr, cidrsOverlap, dnsName, intRange, parseCidr, regionName, slug } from "./fields";
import { bridgesSchema } from "./sections/bridges";
import { edgeSchema } from "./sections/edge";
import { jibriSchema, recordingsSchema } from "./sections/jibri";
import { loadtestProblems, loadtestSchema } from "./sections/loadtest";
import { monitoringSchema } from "./sections/monitoring";
import { shardSchema } from "./sections/shard";
import { regionTurnSchema, turnSchema } from "./sections/turn";

export const regionSchema = z
  .strictObject(
    {
      name: regionName(),
      /** The region's VPC; must not overlap another region's (relays and cross-region XMPP are routed). */
      vpcCidr: cidr(16, 22),
      azCount: intRange(2, 6).default(DEFAULTS.region.azCount),
      shards: intRange(1, 32).default(DEFAULTS.region.shards),
      shard: shardSchema,
      edge: edgeSchema,
      bridges: bridgesSchema,
      jibri: jibriSchema,
      turn: regionTurnSchema,
    },
    { error: "must be an object with at least name and vpcCidr" },
  )
  .superRefine((r, ctx) => {
    const available = AWS_REGIONS[r.name];
    if (available !== undefined && r.azCount > available)
      ctx.addIssue({ code: "custom", path: ["azCount"], message: `must be at most ${available}, the AZs ${r.name} offers`, input: r.azCount });
  });
export type RegionConfig = z.output<typeof regionSchema>;

const tagsSchema = z
  .record(
    z.string(),
    z.string({ error: "tag values must be strings" }).max(256, { error: "tag values must be at most 256 characters" }),
    { error: "must be a map of tag names to string values" },
  )
  .superRefine((t, ctx) => {
    for (const k of Object.keys(t))
      if (!/^(?!aws:)[\w .:/=+\-@]{1,128}$/.test(k))
        ctx.addIssue({ code: "custom", path: [k], message: "tag keys must be 1-128 characters, not starting with aws:", input: k });
    // AWS allows 50 tags per resource; keep room for the ones components add (Name, jitsi:*).
    if (Object.keys(t).length > 40) ctx.addIssue({ code: "custom", message: "must have at most 40 tags", input: t });
  })
  .default({});

export const configSchema = z
  .strictObject({
    /** Short name of this deployment, used in resource names and SSM paths. */
    deployment: slug(20).default(DEFAULTS.deployment),
    /** The public meeting domain, e.g. meet.example.com. */
    domain: dnsName(),
    /** Public Route53 zone of `domain` (certificate validation, latency records). */
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,32}$/, { error: "must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ" }).optional(),
    regions: z
      .array(regionSchema, { error: "must be a list of regions" })
      .min(1, { error: "must list at least one region" })
      .max(8, { error: "must list at most 8 regions" }),
    /** Stack-per-region mode: names of the stacks that deploy the other regions (org/project/stack). */
    peerStacks: z.array(z.string().regex(/^[\w.-]+(\/[\w.-]+){0,2}$/, { error: "must be a stack name such as org/jitsi/prod-eu" })).default([]),
    turn: turnSchema,
    recordings: recordingsSchema,
    monitoring: monitoringSchema,
    tags: tagsSchema,
    /** Present: this stack is a load test (a Selenium grid per region running Malleus), not a deployment. */
    loadtest: loadtestSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.loadtest) for (const p of loadtestProblems(c.loadtest, c.regions.length, c.peerStacks)) ctx.addIssue({ code: "custom", ...p });
    const seen = new Map<string, number>();
    c.regions.forEach((r, i) => {
      const prev = seen.get(r.name);
      if (prev !== undefined)
        ctx.addIssue({ code: "custom", path: ["regions", i, "name"], message: `must be unique (regions[${prev}] is ${r.name} already)`, input: r.name });
      seen.set(r.name, i);
    });
    const parsed = c.regions.map((r) => parseCidr(r.vpcCidr));
    for (let i = 0; i < parsed.length; i++)
      for (let j = 0; j < i; j++) {
        const a = parsed[i];
        const b = parsed[j];
        if (a && b && cidrsOverlap(a, b))
          ctx.addIssue({
            code: "custom",
            path: ["regions", i, "vpcCidr"],
            message: `must not overlap regions[${j}].vpcCidr (${c.regions[j].vpcCidr}): relays route between the VPCs`,
            input: c.regions[i].vpcCidr,
          });
      }
  });

export type JitsiConfig = z.output<typeof configSchema>;
/** The raw shape before defaults (what a Pulumi.<stack>.yaml holds). */
export type JitsiConfigInput = z.input<typeof configSchema>;
export const CONFIG_KEYS = Object.keys(configSchema.shape);
