/**
 * The component provider other languages talk to: `construct` for every component in schema.json, under
 * mocks, with the plain JSON inputs a Python/Go/.NET/YAML program would send (tests/package/fixtures.ts).
 * What a user of another language notices: the component is created with its type token, its children hang
 * under it, and every output the schema promises comes back with a value.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { PlanMocks } from "../../tools/plan/mocks";
import { CONSTRUCT_INPUTS } from "./fixtures";

interface Registered {
  type: string;
  name: string;
  parent: string;
}
interface SchemaResource {
  properties: Record<string, unknown>;
  required: string[];
  requiredInputs: string[];
}

/** Resolves an output (or plain value) to its value; undefined when the mock never resolves it within 10 s. */
function settle(v: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), 10_000);
    const o: pulumi.Output<unknown> = pulumi.output(v as pulumi.Input<string>);
    o.apply((x: unknown) => {
      clearTimeout(t);
      resolve(x);
      return x;
    });
  });
}

describe("component provider construct (other languages)", function () {
  this.timeout(180_000);
  const registered: Registered[] = [];
  let provider: ComponentProvider;
  let schema: { resources: Record<string, SchemaResource> };
  // The served list is read from the committed schema.json, like provider/host.ts does.
  const { committedSchemaComponents } = require("../../provider/components") as typeof import("../../provider/components");
  const served = committedSchemaComponents();

  before(async () => {
    await pulumi.runtime.setMocks(new PlanMocks("us-east-1"), "consumer", "dev", false);
    const settings = await import("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor() as unknown as {
      registerResource(req: { getType(): string; getName(): string; getParent(): string }, cb: unknown): void;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      registered.push({ type: req.getType(), name: req.getName(), parent: req.getParent() });
      return original(req, cb);
    };
    const { ComponentProvider: Provider } = await import("@pulumi/pulumi/provider/experimental");
    const c = await import("../../provider/components");
    provider = new Provider({ name: c.PROVIDER_NAME, dirname: c.PACKAGE_DIR, components: c.candidateComponents().filter((k) => served.includes(k.name)) });
    schema = JSON.parse(await provider.getSchema());
  });

  it("every served component has construct inputs in the fixtures", () => {
    const missing = served.filter((n) => !CONSTRUCT_INPUTS[n]);
    assert.deepEqual(missing, [], `add inputs for ${missing.join(", ")} to tests/package/fixtures.ts`);
  });

  for (const name of served) {
    it(`constructs jitsi:index:${name} from plain inputs: children under it, every schema output resolved`, async () => {
      const inputs = CONSTRUCT_INPUTS[name];
      assert.ok(inputs, `no fixture for ${name}`);
      const token = `jitsi:index:${name}`;
      const res = schema.resources[token];
      for (const req of res.requiredInputs) assert.ok(req in inputs, `fixture for ${name} lacks required input ${req}`);
      const instance = `t-${name.toLowerCase()}`;
      const result = await provider.construct(instance, token, inputs as pulumi.Inputs, {});
      const urn = (await settle(result.urn)) as string;
      assert.match(urn, new RegExp(`::${token}::${instance}$`));
      // Children: registered with the component as parent, named after it.
      await new Promise((r) => setTimeout(r, 200));
      const children = registered.filter((r) => r.parent === urn);
      assert.ok(children.length > 0, `${name} registered no children`);
      for (const ch of children) assert.ok(ch.name.startsWith(`${instance}-`), `${name} child ${ch.type} ${ch.name} is not named ${instance}-<role>`);
      // Outputs: exactly the schema's, each required one with a value.
      assert.deepEqual(Object.keys(result.state).sort(), Object.keys(res.properties).sort());
      for (const out of res.required) {
        const v = await settle(result.state[out]);
        assert.ok(v !== undefined && v !== null, `${name}.${out} did not resolve`);
      }
    });
  }

  it("refuses a type token outside the package", async () => {
    await assert.rejects(() => provider.construct("x", "other:index:BridgeFleet", {}, {}), /Invalid package name other/);
  });
});
