/**
 * npm run bench:plan — prints how long the offline plan takes for the prod example and for a
 * 4-region × 4-shard deployment, with resource counts. A benchmark that prints figures, not a test.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { runPlan } from "./plan/run";

function wideProject(regions: number, shards: number): string {
  const names = ["us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1", "ca-central-1"];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-plan-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: jitsi-aws\nruntime: nodejs\n");
  const config = {
    "jitsi:deployment": "bench",
    "jitsi:domain": "meet.example.com",
    "jitsi:hostedZoneId": "Z0123456789EXAMPLE01",
    "jitsi:regions": names.slice(0, regions).map((name, i) => ({ name, vpcCidr: `10.${10 + i}.0.0/16`, azCount: 2, shards })),
  };
  fs.writeFileSync(path.join(dir, "Pulumi.bench.yaml"), stringify({ config }));
  return dir;
}

async function main() {
  const runs: [string, () => Promise<Awaited<ReturnType<typeof runPlan>>>][] = [
    ["prod (2 regions, 3 shards)", () => runPlan({ stack: "prod" })],
    ["4 regions x 4 shards", () => runPlan({ stack: "bench", root: wideProject(4, 4) })],
  ];
  for (const [label, fn] of runs) {
    const plan = await fn();
    console.log(`${label}: ${plan.resources.length} resources, ${plan.files.length} files, ${plan.seconds.toFixed(2)} s`);
  }
}

void main();
