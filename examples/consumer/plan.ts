/**
 * `npm run plan`: runs this project's program under Pulumi mocks (no CLI, no AWS) and prints what `pulumi up`
 * would register, as JSON on the last line: resource counts by type, the components, each Lambda archive's files. Exits 1 when the
 * program throws or registers two resources with the same type and name under the same parent chain.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConsumerMocks } from "./mocks";

async function main(): Promise<number> {
  const region = "eu-central-1";
  const mocks = new ConsumerMocks(region);
  pulumi.runtime.setAllConfig({ "aws:region": region, "consumer:domain": "meet.example.com", "consumer:deployment": "acme" });
  await pulumi.runtime.setMocks(mocks, "jitsi-consumer", "plan", false);
  const program = await import("./index");
  // Let every apply and registration settle: resolve each stack output.
  await Promise.all(Object.values(program).map((o) => new Promise((r) => pulumi.output(o).apply(r))));
  await new Promise((r) => setTimeout(r, 500));
  const keys = mocks.registered.map((r) => `${r.type}::${r.name}`);
  const duplicates = keys.filter((k, i) => keys.indexOf(k) !== i);
  const byType: Record<string, number> = {};
  for (const r of mocks.registered) byType[r.type] = (byType[r.type] ?? 0) + 1;
  // What each Lambda archive carries (paths inside the zip): the prebuilt handler, not the node_modules tree.
  const lambdaArchives: Record<string, string[]> = {};
  for (const [name, code] of mocks.lambdaCode) {
    const assets = (await (code as { assets?: unknown }).assets) as Record<string, unknown> | undefined;
    lambdaArchives[name] = Object.keys(assets ?? {}).sort();
  }
  const summary = {
    resources: mocks.registered.length,
    customResources: mocks.registered.filter((r) => r.custom).length,
    components: mocks.registered.filter((r) => r.type.startsWith("jitsi:")).map((r) => `${r.type} ${r.name}`),
    byType,
    lambdaArchives,
    duplicates,
  };
  console.log(JSON.stringify(summary));
  return duplicates.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  },
);
