/**
 * The shard's rendered files, as the prod plan renders them, checked by the real tools from Debian:
 * nginx -t, prosodyctl check config, cloud-init schema, shellcheck.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { prodFiles, prodPlan } from "../helpers/prod-plan";
import { decodeUserData } from "../helpers/user-data";
import { requireBinary, run } from "../helpers/env";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "shard-configs-"));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

describe("shard configs pass their real validators", function () {
  it("nginx -t accepts every shard's nginx site", async function () {
    const nginx = requireBinary(this, "nginx");
    const sites = await prodFiles("nginx-site.conf");
    assert.ok(sites.length >= 3);
    for (const site of sites) {
      const prefix = fs.mkdtempSync(path.join(tmpRoot, "nginx-"));
      fs.writeFileSync(path.join(prefix, "site.conf"), site.content);
      fs.writeFileSync(
        path.join(prefix, "nginx.conf"),
        `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log;\nevents {}\nhttp {\n  access_log off;\n  include /etc/nginx/mime.types;\n  include ${prefix}/site.conf;\n}\n`,
      );
      const r = spawnSync(nginx, ["-t", "-p", prefix, "-c", path.join(prefix, "nginx.conf")], { encoding: "utf8" });
      assert.strictEqual(r.status, 0, `${site.component}: ${r.stderr}`);
      assert.match(r.stderr, /test is successful/);
    }
  });

  it("nginx -t rejects a broken site (the check can fail)", function () {
    const nginx = requireBinary(this, "nginx");
    const prefix = fs.mkdtempSync(path.join(tmpRoot, "nginx-bad-"));
    fs.writeFileSync(path.join(prefix, "nginx.conf"), `pid ${prefix}/p;\nerror_log ${prefix}/e;\nevents {}\nhttp { server { listen 80; location / { proxy_pass; } } }\n`);
    const r = spawnSync(nginx, ["-t", "-p", prefix, "-c", path.join(prefix, "nginx.conf")], { encoding: "utf8" });
    assert.notStrictEqual(r.status, 0);
  });

  it("prosodyctl check config passes every shard's Prosody config", async function () {
    const prosodyctl = requireBinary(this, "prosodyctl");
    const configs = await prodFiles("prosody.cfg.lua");
    assert.ok(configs.length >= 3);
    for (const c of configs) {
      const dir = fs.mkdtempSync(path.join(tmpRoot, "prosody-"));
      // prosodyctl (run as root) checks the files as the prosody user.
      fs.chmodSync(tmpRoot, 0o755);
      fs.chmodSync(dir, 0o755);
      // The secrets include is written at boot; the check gets a stand-in at a temporary path.
      const include = path.join(dir, "turn.cfg.lua");
      fs.writeFileSync(include, 'external_service_secret = "stand-in"\n');
      fs.mkdirSync(path.join(dir, "certs"));
      const cfg = path.join(dir, "prosody.cfg.lua");
      assert.ok(c.content.includes('Include "/etc/prosody/secrets/turn.cfg.lua"'));
      fs.writeFileSync(cfg, c.content.replaceAll("/etc/prosody/secrets/turn.cfg.lua", include));
      const r = spawnSync(prosodyctl, ["--config", cfg, "check", "config"], { encoding: "utf8" });
      assert.strictEqual(r.status, 0, `${c.component}: ${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /All checks passed/);
    }
  });

  it("prosodyctl check config fails on a config with a Lua error", function () {
    const prosodyctl = requireBinary(this, "prosodyctl");
    const dir = fs.mkdtempSync(path.join(tmpRoot, "prosody-bad-"));
    fs.chmodSync(tmpRoot, 0o755);
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, "p.cfg.lua"), 'VirtualHost "x.example.com"\n  modules_enabled = { "ping" \n');
    const r = spawnSync(prosodyctl, ["--config", path.join(dir, "p.cfg.lua"), "check", "config"], { encoding: "utf8" });
    assert.notStrictEqual(r.status, 0);
  });

  it("cloud-init schema accepts every shard's user data (decoded from the launch template)", async function () {
    const cloudInit = requireBinary(this, "cloud-init");
    const plan = await prodPlan();
    const lts = plan.resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name.includes("-shard-"));
    assert.strictEqual(lts.length, 3);
    for (const lt of lts) {
      const text = decodeUserData((lt.inputs as { userData: string }).userData);
      const file = path.join(tmpRoot, `${lt.name}.yaml`);
      fs.writeFileSync(file, text);
      const out = run(cloudInit, ["schema", "--config-file", file]);
      assert.match(out, /Valid schema|Valid cloud-config/, out);
    }
  });

  it("shellcheck passes every shard boot script", async function () {
    const shellcheck = requireBinary(this, "shellcheck");
    const scripts = await prodFiles("boot.sh");
    assert.ok(scripts.filter((s) => s.component.endsWith("-shard")).length >= 3);
    for (const s of scripts) {
      const file = path.join(tmpRoot, `${s.component}-boot.sh`);
      fs.writeFileSync(file, s.content);
      const r = spawnSync(shellcheck, ["-s", "bash", "-S", "warning", file], { encoding: "utf8" });
      assert.strictEqual(r.status, 0, `${s.component}: ${r.stdout}`);
    }
  });
});
