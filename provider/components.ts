/**
 * Which exported components other Pulumi languages can use (Python, Go, .NET, YAML through the component
 * provider in provider/host.ts), and the package schema their SDKs are generated from.
 *
 * Every ComponentResource class exported from the package root is a candidate. The schema is derived from the
 * TypeScript source of each Args interface by Pulumi's analyzer (@pulumi/pulumi/provider/experimental); a
 * component whose Args it cannot express (a union, a mapped type, a ReadonlyArray, a function, ...) is left
 * out of the schema with the analyzer's message, instead of failing the whole package. NOT_SERVED lists the
 * components left out on purpose. tests/package/schema.test.ts checks that schema.json is current, that the
 * five region components are in it, and prints what was left out.
 */
import * as fs from "fs";
import * as path from "path";
import { getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { Analyzer, AnalyzeResult, ComponentDefinition } from "@pulumi/pulumi/provider/experimental/analyzer";
import { generateSchema } from "@pulumi/pulumi/provider/experimental/schema";
import * as root from "../index";

/** Package name in the schema and in every type token: `jitsi:index:<Class>` (the components' own tokens). */
export const PROVIDER_NAME = "jitsi";

/** The repository root: holds package.json, tsconfig.json and index.ts, which the analyzer reads. */
export const PACKAGE_DIR = path.resolve(__dirname, "..");

/** The components every region is built from: the schema must serve these. */
export const REGION_COMPONENTS = ["EdgeProxy", "BridgeFleet", "JibriPool", "TurnCluster", "Monitoring"] as const;

/** Exported components not served to other languages on purpose, and why. */
export const NOT_SERVED: Readonly<Record<string, string>> = {
  Region:
    "RegionArgs.config is the whole parsed stack config (JitsiConfig, inferred from the zod schema: literal unions " +
    "and inferred object types the analyzer cannot express), and Region.shards is JitsiShard[] (a reference to a " +
    "component of this package; the analyzer supports resource references only into @pulumi/* packages). Other " +
    "languages compose a region from the components.",
};

export type ComponentClass = ReturnType<typeof getPulumiComponents>[number];

/** Exported component classes that are candidates for the schema, sorted by name. */
export function candidateComponents(): ComponentClass[] {
  return getPulumiComponents(root)
    .filter((c) => !(c.name in NOT_SERVED))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface PackageAnalysis {
  /** The schema as committed in schema.json (2-space JSON, trailing newline). */
  readonly schemaText: string;
  /** Components in the schema. */
  readonly served: string[];
  /** Components the analyzer could not express, with its message (naming the property and its type). */
  readonly unanalyzable: Record<string, string>;
}

interface AnalyzerInternals {
  analyzeComponent(node: { name?: { text: string } }): ComponentDefinition | undefined;
  typeDefinitions: AnalyzeResult["typeDefinitions"];
}

const FAILED = "\u0000unanalyzable";

/** Runs the analyzer once over the package, keeping every component it can express. */
export function analyzePackage(): PackageAnalysis {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")) as Record<string, string>;
  const names = candidateComponents().map((c) => c.name);
  const analyzer = new Analyzer(PACKAGE_DIR, PROVIDER_NAME, pkg, new Set(names));
  const internals = analyzer as unknown as AnalyzerInternals;
  const analyzeOne = internals.analyzeComponent.bind(analyzer);
  const unanalyzable: Record<string, string> = {};
  internals.analyzeComponent = (node) => {
    const before = new Set(Object.keys(internals.typeDefinitions));
    try {
      return analyzeOne(node);
    } catch (e) {
      const name = node.name?.text ?? "?";
      unanalyzable[name] = (e as Error).message;
      // Types this component started are incomplete: drop them so another component analyzes them afresh.
      for (const t of Object.keys(internals.typeDefinitions)) if (!before.has(t)) delete internals.typeDefinitions[t];
      return { name, inputs: {}, outputs: {}, description: FAILED };
    }
  };
  const result = analyzer.analyze();
  const components = Object.fromEntries(Object.entries(result.components).filter(([, c]) => c.description !== FAILED));
  const schema = generateSchema(PROVIDER_NAME, pkg.version, pkg.description, components, result.typeDefinitions, result.dependencies);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  return { schemaText: text, served: Object.keys(components).sort(), unanalyzable };
}

/** The components listed in the committed schema.json: what provider/host.ts serves. */
export function committedSchemaComponents(): string[] {
  const file = path.join(PACKAGE_DIR, "schema.json");
  const schema = JSON.parse(fs.readFileSync(file, "utf8")) as { resources: Record<string, unknown> };
  return Object.keys(schema.resources).map((token) => token.split(":")[2]);
}
