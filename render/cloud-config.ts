/**
 * Cloud-config user data, rendered by this project (@pulumi/cloudinit is not on the npm registry).
 * Pure: typed input → the `#cloud-config` YAML text, and an encoder that keeps it inside EC2's limit.
 */
import { gzipSync } from "zlib";
import { stringify } from "yaml";

export interface CloudConfigFile {
  readonly path: string;
  readonly content: string;
  /** Octal mode string, e.g. "0644". */
  readonly permissions?: string;
  readonly owner?: string;
}

export interface CloudConfigInput {
  /** Debian packages installed before runcmd. */
  readonly packages?: readonly string[];
  readonly writeFiles: readonly CloudConfigFile[];
  /** Commands run once at first boot, in order (argv arrays: no shell quoting surprises); none = no runcmd key. */
  readonly runcmd: readonly (readonly string[])[];
  /** Kernel modules and other bootcmd steps that must run on every boot. */
  readonly bootcmd?: readonly (readonly string[])[];
}

/** EC2 accepts at most 16 KB of user data (before base64): RunInstances / launch template limit. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export function renderCloudConfig(input: CloudConfigInput): string {
  for (const f of input.writeFiles) {
    if (!f.path.startsWith("/")) throw new Error(`cloud-config writeFiles path must be absolute (got ${f.path})`);
    if (f.permissions !== undefined && !/^0[0-7]{3}$/.test(f.permissions))
      throw new Error(`cloud-config permissions of ${f.path} must be an octal mode like 0644 (got ${f.permissions})`);
  }
  const doc: Record<string, unknown> = {
    package_update: true,
    package_upgrade: false,
  };
  if (input.packages?.length) doc.packages = [...input.packages];
  if (input.bootcmd?.length) doc.bootcmd = input.bootcmd.map((c) => [...c]);
  doc.write_files = input.writeFiles.map((f) => ({
    path: f.path,
    content: f.content,
    permissions: f.permissions ?? "0644",
    owner: f.owner ?? "root:root",
  }));
  if (input.runcmd.length > 0) doc.runcmd = input.runcmd.map((c) => [...c]);
  return "#cloud-config\n" + stringify(doc, { lineWidth: 0, blockQuote: "literal" });
}

/**
 * Base64 user data for a launch template. Plain text when it fits in 16 KB, else gzip (cloud-init detects
 * and inflates it); an error naming the size when even that does not fit.
 */
export function encodeUserData(text: string, what: string): string {
  const raw = Buffer.from(text, "utf8");
  if (raw.length <= USER_DATA_LIMIT_BYTES) return raw.toString("base64");
  const gz = gzipSync(raw, { level: 9 });
  if (gz.length > USER_DATA_LIMIT_BYTES)
    throw new Error(`${what}: user data is ${gz.length} bytes gzipped (${raw.length} plain); EC2 allows ${USER_DATA_LIMIT_BYTES}`);
  return gz.toString("base64");
}
