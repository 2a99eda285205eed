/** Writes a throw-away Pulumi project (Pulumi.yaml + Pulumi.<stack>.yaml) for plan tests and benchmarks. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

export function tempProject(stack: string, jitsi: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jitsi-plan-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: jitsi-aws\nruntime: nodejs\n");
  const config = Object.fromEntries(Object.entries(jitsi).map(([k, v]) => [`jitsi:${k}`, v]));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
  return dir;
}

/** A config of `regions` regions with `shards` shards each (the plan-time benchmark shape). */
export function wideConfig(regions: number, shards: number): Record<string, unknown> {
  const names = ["us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1", "ca-central-1"];
  return {
    deployment: "bench",
    domain: "meet.example.com",
    regions: names.slice(0, regions).map((name, i) => ({ name, vpcCidr: `10.${10 + i}.0.0/16`, azCount: 2, shards })),
  };
}
