import { generateSchemaText } from "../provider/components";
const t0 = Date.now();
generateSchemaText().then((s) => { require("fs").writeFileSync("/tmp/h12-schema.json", s); console.log("ok", (Date.now()-t0)/1000); }).catch((e) => { console.error("ERR", e.message); process.exit(1); });
