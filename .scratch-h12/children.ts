import * as pulumi from "@pulumi/pulumi";
import { PlanMocks } from "../tools/plan/mocks";
import { CONSTRUCT_INPUTS } from "../tests/package/fixtures";
(async () => {
  const mocks = new PlanMocks("us-east-1");
  const reg: { type: string; name: string }[] = [];
  const orig = mocks.newResource.bind(mocks);
  mocks.newResource = (a) => { reg.push({ type: a.type, name: a.name }); return orig(a); };
  await pulumi.runtime.setMocks(mocks, "p", "s", false);
  const idx = await import("../index");
  for (const [name, inputs] of Object.entries(CONSTRUCT_INPUTS)) {
    reg.length = 0;
    try { new (idx as any)[name](`x-${name.toLowerCase()}`, inputs); } catch (e) { console.log(name, "ERR", (e as Error).message); continue; }
    await new Promise((r) => setTimeout(r, 1500));
    const c: Record<string, number> = {};
    for (const r of reg) c[r.type] = (c[r.type] ?? 0) + 1;
    console.log(name, reg.length, JSON.stringify(c));
  }
})();
