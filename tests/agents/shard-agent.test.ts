import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { agentReply, main, parseShardAgentArgs, parseStateFile, SHARD_AGENT_DEFAULTS, startShardAgent } from "../../agents/shard-agent";

// Loopback block of this helper (127.0.4.0/24), ports 20000-20999.
const HOST = "127.0.4.40";
const HEALTHY = { prosody: true, jicofo: true };

function readAgent(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, HOST);
    let out = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error("agent did not answer"));
    }, 3000);
    s.on("data", (d) => (out += d.toString()));
    s.on("error", reject);
    s.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe("agents/shard-agent", () => {
  describe("agentReply (pure)", () => {
    it("answers 'up ready' only when the operator says ready and Prosody and Jicofo are healthy", () => {
      assert.equal(agentReply(parseStateFile(null), HEALTHY), "up ready\n");
      assert.equal(agentReply(parseStateFile(" Ready \n"), HEALTHY), "up ready\n");
    });
    it("drains a shard that is not healthy yet (a new shard starts in drain until healthy)", () => {
      assert.equal(agentReply(parseStateFile(null), { prosody: false, jicofo: true }), "up drain\n");
      assert.equal(agentReply(parseStateFile(null), { prosody: true, jicofo: false }), "up drain\n");
    });
    it("follows the operator: drain keeps live rooms, maint stops all traffic even when healthy", () => {
      assert.equal(agentReply(parseStateFile("drain"), HEALTHY), "up drain\n");
      assert.equal(agentReply(parseStateFile("MAINT\n"), HEALTHY), "maint\n");
      assert.equal(agentReply(parseStateFile("maint"), { prosody: false, jicofo: false }), "maint\n");
    });
    it("drains when the state file holds anything else (operator intent unknown: keep live rooms, take no new one)", () => {
      const r = parseStateFile("dran");
      assert.deepEqual(r, { kind: "invalid", text: "dran" });
      assert.equal(agentReply(r, HEALTHY), "up drain\n");
    });
  });

  describe("parseShardAgentArgs", () => {
    it("uses jitsi-facts.md's port 6060 and the documented paths by default", () => {
      assert.deepEqual(parseShardAgentArgs([]), SHARD_AGENT_DEFAULTS);
      assert.equal(SHARD_AGENT_DEFAULTS.port, 6060);
    });
    it("names the bad flag and what is allowed", () => {
      assert.match(parseShardAgentArgs(["--listen", "6060"]) as string, /^--listen: must be address:port/);
      assert.match(parseShardAgentArgs(["--state-file", "rel/path"]) as string, /^--state-file: must be an absolute path/);
      assert.match(parseShardAgentArgs(["--interval-ms", "5"]) as string, /^--interval-ms: must be a whole number from 100/);
      assert.match(parseShardAgentArgs(["--jicofo-health", "ftp://x"]) as string, /^--jicofo-health: must be an http:\/\/ URL/);
      assert.match(parseShardAgentArgs(["--bogus", "1"]) as string, /^unknown flag "--bogus"/);
      assert.match(parseShardAgentArgs(["--listen"]) as string, /^--listen: needs a value/);
    });
  });

  describe("the responder on a socket (fake Prosody and Jicofo health endpoints)", () => {
    let tmp: string;
    let health: http.Server;
    let healthy = false;
    let healthPort = 0;
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shard-agent-"));
      health = http.createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
      await new Promise<void>((r) => health.listen(20700, HOST, () => r()));
      healthPort = (health.address() as net.AddressInfo).port;
    });
    after(async () => {
      await new Promise<void>((r) => health.close(() => r()));
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("answers drain until healthy, then ready, then what the operator writes", async () => {
      const stateFile = path.join(tmp, "shard-state");
      const agent = await startShardAgent({
        host: HOST,
        port: 20701,
        stateFile,
        prosodyHealthUrl: `http://${HOST}:${healthPort}/health`,
        jicofoHealthUrl: `http://${HOST}:${healthPort}/about/health`,
        intervalMs: 100,
        once: false,
      });
      try {
        assert.equal(await readAgent(20701), "up drain\n");
        healthy = true;
        let reply = "";
        for (let i = 0; i < 40 && reply !== "up ready\n"; i++) {
          await new Promise((r) => setTimeout(r, 50));
          reply = await readAgent(20701);
        }
        assert.equal(reply, "up ready\n");
        fs.writeFileSync(stateFile, "drain\n");
        assert.equal(await readAgent(20701), "up drain\n");
        fs.writeFileSync(stateFile, "maint\n");
        assert.equal(await readAgent(20701), "maint\n");
        fs.unlinkSync(stateFile);
        assert.equal(await readAgent(20701), "up ready\n");
      } finally {
        await agent.close();
        healthy = false;
      }
    });

    it("main --once prints the reply; main returns 2 on a bad flag", async () => {
      const logs: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      const err = console.error;
      (process.stdout as { write: unknown }).write = (s: string) => (logs.push(String(s)), true);
      console.error = (s: string) => logs.push(s);
      try {
        const url = `http://${HOST}:${healthPort}/x`;
        assert.equal(await main(["--once", "--state-file", path.join(tmp, "none"), "--prosody-health", url, "--jicofo-health", url]), 0);
        assert.equal(await main(["--interval-ms", "abc"]), 2);
      } finally {
        (process.stdout as { write: unknown }).write = write;
        console.error = err;
      }
      assert.deepEqual(logs, ["up drain\n", 'shard-agent: --interval-ms: must be a whole number from 100 to 600000, got "abc"']);
    });
  });
});
