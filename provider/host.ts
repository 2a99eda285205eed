/**
 * Entry point of the component provider (PulumiPlugin.yaml `main`): serves the components listed in
 * schema.json to Python, Go, .NET and YAML programs (`pulumi package add <this repository>`). The engine
 * runs it from the source tree, because the schema is derived from the TypeScript Args interfaces.
 *
 * An explicit host rather than Pulumi's auto-detection: auto-detection names the package after package.json
 * ("jitsi-aws"), while the components register themselves as `jitsi:index:<Class>`; the two must agree.
 */
import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { candidateComponents, committedSchemaComponents, PACKAGE_DIR, PROVIDER_NAME } from "./components";

const served = new Set(committedSchemaComponents());
componentProviderHost({
  name: PROVIDER_NAME,
  dirname: PACKAGE_DIR,
  components: candidateComponents().filter((c) => served.has(c.name)),
}).catch((e: unknown) => {
  console.error(`jitsi component provider: ${(e as Error).message}`);
  process.exit(1);
});
