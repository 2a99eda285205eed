import { renderHaproxyConfig, HAPROXY_TUNING_DEFAULTS } from "../render/haproxy";
import { FakeShard } from "../tests/helpers/fake-shard";
import { edgeRequest, runtimeCommand } from "../tests/helpers/edge-client";
import { HaproxyProcess } from "../tests/helpers/haproxy-process";
(async () => {
  const shards = [1,2,3,4].map(i => new FakeShard({ id: `shard-${i}`, address: `127.0.4.${10+i}`, httpPort: 20080, agentPort: 20060 }));
  for (const s of shards) await s.start();
  const cfg = (n: number) => renderHaproxyConfig({
    listen: { address: "127.0.4.1", port: 20443, acceptProxy: true }, healthPort: 20404, healthCheckHost: "meet.example.com",
    shards: shards.slice(0,n).map((s,i) => ({ id: s.id, address: s.address, port: 20080, agentPort: 20060, initialState: i===3 ? "drain" : "ready" as const })),
    peers: { section: "edge", localName: "a", members: [{ name: "a", address: "127.0.4.1", port: 20024 }] },
    bridges: { cidrs: ["127.0.4.0/26"], websocketPort: 20090 }, runtimeSocket: "/tmp/hp4/a.sock", logTarget: "stdout", logFacility: "local0",
    tuning: { ...HAPROXY_TUNING_DEFAULTS, healthIntervalMs: 300, agentIntervalMs: 300, healthRise: 2, maxConnections: 2000 },
  });
  const hp = new HaproxyProcess("/usr/sbin/haproxy", "/tmp/hp4/exp.cfg");
  hp.writeConfig(cfg(4));
  try {
    await hp.start();
    console.log(await runtimeCommand("/tmp/hp4/a.sock", "show servers state be_shards"));
    await new Promise(r => setTimeout(r, 1500));
    console.log(await runtimeCommand("/tmp/hp4/a.sock", "show servers state be_shards"));
    for (const p of ["/MyRoom", "/http-bind?room=myroom", "/Ten/Room1", "/ten/http-bind?room=ROOM1", "/conference-request/v1?room=My%52oom", "/libs/app.js", "/colibri-ws/127.0.4.30/abc/def?pwd=1", "/colibri-ws/10.1.1.1/x"]) {
      try { const r = await edgeRequest({ host: "127.0.4.1", port: 20443, path: p, clientIp: "198.51.100.7" }); console.log(p, r.status, r.headers["x-shard-id"], r.headers["x-seen-room"]); } catch (e) { console.log(p, String(e)); }
    }
    const w = await edgeRequest({ host: "127.0.4.1", port: 20443, path: "/xmpp-websocket?room=myroom", clientIp: "198.51.100.7", websocket: true });
    console.log("ws", w.status, w.headers["x-shard-id"], w.message);
    console.log(await runtimeCommand("/tmp/hp4/a.sock", "show table be_shards"));
  } finally {
    await hp.stop(); for (const s of shards) await s.stop();
    console.log(hp.output.slice(0, 3000));
  }
})();
