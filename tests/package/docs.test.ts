/**
 * The component docs a user reads: the reference generated from the types by TypeDoc (into a temp folder, as
 * `npm run docs` does into docs/reference/) and the hand-written guides in docs/components/. Both must cover
 * every input and output the package schema lists, and each guide gives a rough monthly cost.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
interface Schema {
  resources: Record<string, { inputProperties: Record<string, unknown>; properties: Record<string, unknown> }>;
}
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8")) as Schema;
const components = Object.keys(schema.resources).map((t) => t.split(":")[2]);
const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

describe("component docs: TypeDoc reference and usage guides", function () {
  this.timeout(300_000);
  let ref: string;
  before(() => {
    ref = fs.mkdtempSync(path.join(os.tmpdir(), "jitsi-aws-ref-"));
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typedoc", "bin", "typedoc"), "--out", ref, "--logLevel", "Error"], { cwd: ROOT, encoding: "utf8", timeout: 240_000 });
    assert.equal(r.status, 0, `typedoc failed: ${r.stdout}\n${r.stderr}`);
  });
  after(() => fs.rmSync(ref, { recursive: true, force: true }));

  for (const name of components) {
    it(`${name}: the reference lists every input (with its default) and output`, () => {
      const args = fs.readFileSync(path.join(ref, "interfaces", `${name}Args.md`), "utf8");
      for (const input of Object.keys(schema.resources[`jitsi:index:${name}`].inputProperties))
        assert.match(args, new RegExp(`\`${input}\\??\``), `${name}Args reference lacks ${input}`);
      const cls = fs.readFileSync(path.join(ref, "classes", `${name}.md`), "utf8");
      for (const output of Object.keys(schema.resources[`jitsi:index:${name}`].properties))
        assert.match(cls, new RegExp(`\`${output}\``), `${name} reference lacks output ${output}`);
    });
    it(`${name}: docs/components/${kebab(name)}.md names every input and output and a monthly cost`, () => {
      const file = path.join(ROOT, "docs", "components", `${kebab(name)}.md`);
      assert.ok(fs.existsSync(file), `no guide ${path.relative(ROOT, file)}`);
      const text = fs.readFileSync(file, "utf8");
      const r = schema.resources[`jitsi:index:${name}`];
      const missing = [...Object.keys(r.inputProperties), ...Object.keys(r.properties)].filter((k) => !text.includes(`\`${k}\``));
      assert.deepEqual(missing, [], `${path.relative(ROOT, file)} does not mention ${missing.join(", ")}`);
      assert.match(text, /\*\*Cost\*\*:.*\$\d/, "no monthly cost figure");
    });
  }
});
