import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { PACKAGE_DIR, servedComponents } from "../provider/components";
(async () => {
  for (const c of servedComponents()) {
    try {
      const s = JSON.parse(await new ComponentProvider({ name: "jitsi", components: [c], dirname: PACKAGE_DIR }).getSchema());
      console.log("OK ", c.name, Object.keys(s.resources[`jitsi:index:${c.name}`].inputProperties).length, "inputs");
    } catch (e) { console.log("ERR", c.name, (e as Error).message); }
  }
})();
