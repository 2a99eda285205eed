import { renderHaproxyConfig, HAPROXY_TUNING_DEFAULTS } from "../render/haproxy";
const cfg = renderHaproxyConfig({
  listen: { address: "127.0.4.1", port: 20443, acceptProxy: true }, healthPort: 20404, healthCheckHost: "meet.example.com",
  shards: [1,2,3,4].map(i => ({ id: `shard-${i}`, address: `127.0.4.${10+i}`, port: 20080, agentPort: 20060, initialState: i===4 ? "drain" : "ready" as const })),
  peers: { section: "edge", localName: "a", members: [{ name: "a", address: "127.0.4.1", port: 20024 }, { name: "b", address: "127.0.4.2", port: 20024 }] },
  bridges: { cidrs: ["127.0.4.0/26"], websocketPort: 20090 }, runtimeSocket: "/tmp/hp4/a.sock", logTarget: "stdout", logFacility: "local0",
  tuning: { ...HAPROXY_TUNING_DEFAULTS, healthIntervalMs: 300, agentIntervalMs: 300 },
});
require("fs").writeFileSync("/tmp/hp4/gen.cfg", cfg);
