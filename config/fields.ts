/**
 * Field builders for the stack config schema. Each one carries the message a user sees, phrased as what is
 * allowed ("must be an integer from 1 to 32"); the parser adds the key path and the value it got.
 */
import { z } from "zod";
import { AWS_REGIONS, INSTANCE_TYPE_NAMES, INSTANCE_TYPES, REGION_NAMES } from "./aws-catalog";

export function intRange(min: number, max: number) {
  const msg = `must be an integer from ${min} to ${max}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
}

export function numRange(min: number, max: number) {
  const msg = `must be a number from ${min} to ${max}`;
  return z.number({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
}

export const bool = () => z.boolean({ error: "must be true or false" });

export const instanceType = () =>
  z
    .string({ error: "must be an EC2 instance type name such as c5.xlarge" })
    .refine((v) => v in INSTANCE_TYPES, {
      error: `must be a supported EC2 instance type (${INSTANCE_TYPE_NAMES.join(", ")})`,
    });

export const regionName = () =>
  z.string({ error: "must be an AWS region name such as us-east-1" }).refine((v) => v in AWS_REGIONS, {
    error: `must be a known AWS region (${REGION_NAMES.join(", ")})`,
  });

/** A DNS name of 2+ labels, lower case, as Route53 and ACM accept it. */
export const dnsName = () =>
  z
    .string({ error: "must be a DNS name such as meet.example.com" })
    .regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
      error: "must be a lower-case DNS name such as meet.example.com",
    });

/** IPv4 CIDR with a prefix in [minPrefix, maxPrefix] whose address is the network address. */
export function cidr(minPrefix: number, maxPrefix: number) {
  const msg = `must be an IPv4 CIDR block from /${minPrefix} to /${maxPrefix} such as 10.10.0.0/16`;
  return z.string({ error: msg }).refine(
    (v) => {
      const p = parseCidr(v);
      return p !== null && p.prefix >= minPrefix && p.prefix <= maxPrefix;
    },
    { error: msg },
  );
}

export interface ParsedCidr {
  readonly base: number;
  readonly prefix: number;
}

/** Parses "a.b.c.d/n"; null unless well formed with the host bits zero. */
export function parseCidr(v: string): ParsedCidr | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return null;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return null;
  return { base, prefix };
}

export function cidrsOverlap(a: ParsedCidr, b: ParsedCidr): boolean {
  const size = (c: ParsedCidr) => 2 ** (32 - c.prefix);
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** Lower-case slug used in resource names and SSM paths. */
export const slug = (max: number) =>
  z.string({ error: `must be a lower-case name of 1 to ${max} letters, digits and dashes` }).regex(
    new RegExp(`^[a-z][a-z0-9-]{0,${max - 1}}$`),
    { error: `must be a lower-case name of 1 to ${max} letters, digits and dashes, starting with a letter` },
  );
