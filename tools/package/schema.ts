/**
 * `npm run schema`: regenerates schema.json, the Pulumi package schema other languages' SDKs are generated
 * from and the list of components provider/host.ts serves. `--check` only compares and exits 1 when the
 * committed file is stale. Components the analyzer cannot express are listed with its message.
 */
import * as fs from "fs";
import * as path from "path";
import { analyzePackage, PACKAGE_DIR } from "../../provider/components";

export const SCHEMA_FILE = path.join(PACKAGE_DIR, "schema.json");

function main(argv: string[]): number {
  const { schemaText, served, unanalyzable } = analyzePackage();
  for (const [name, why] of Object.entries(unanalyzable)) console.error(`not in the schema: ${name}: ${why}`);
  const current = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, "utf8") : "";
  if (argv.includes("--check")) {
    if (current === schemaText) return 0;
    console.error("schema.json is stale: run `npm run schema` and commit the result");
    return 1;
  }
  fs.writeFileSync(SCHEMA_FILE, schemaText);
  console.log(`wrote schema.json: ${served.length} components (${served.join(", ")})`);
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
