/**
 * The per-boot wrapper of warm-pool hosts (render/resumable-boot.ts): run as bash with a fake boot script and fake
 * dpkg / apt-get first on PATH, the way cloud-init runs it at each start of the instance; and the user data of the
 * prod plan's bridges and recorders (per-boot, no runcmd) against the shards' (runcmd as before).
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { RESUMABLE_BOOT_FILE } from "../../components/host-user-data";
import { BOOT_COMPLETE_MARKER, renderResumableBoot, RESUMABLE_BOOT_PATH } from "../../render/resumable-boot";
import { requireBinary, run } from "../helpers/env";
import { prodFiles } from "../helpers/prod-plan";

const PACKAGES = ["awscli", "curl", "gnupg", "ca-certificates"];

/**
 * A sandbox: boot.sh counts its runs, fails while `fail` exists and asks for a reboot while `kernel` exists; dpkg
 * reports the packages missing while `nopkg` exists; systemctl logs its call and whether the marker was there by then.
 */
function sandbox(): { dir: string; boot: () => number; start: () => number; log: () => string; marker: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "resumable-boot-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const write = (file: string, text: string): void => fs.writeFileSync(file, text, { mode: 0o755 });
  const marker = path.join(dir, "state", "boot-complete");
  const rebootRequest = path.join(dir, "run", "reboot-requested");
  write(path.join(dir, "boot.sh"), `#!/bin/bash\necho run >> ${dir}/runs\nif [ -f ${dir}/kernel ]; then mkdir -p ${dir}/run; touch ${rebootRequest}; fi\n[ ! -f ${dir}/fail ]\n`);
  write(path.join(bin, "systemctl"), `#!/bin/bash\necho "systemctl $* marker=$([ -f ${marker} ] && echo yes || echo no)" >> ${dir}/log\n`);
  write(path.join(bin, "dpkg"), `#!/bin/bash\necho "dpkg $*" >> ${dir}/log\n[ ! -f ${dir}/nopkg ]\n`);
  write(path.join(bin, "apt-get"), `#!/bin/bash\necho "apt-get $*" >> ${dir}/log\n[ "$1" = install ] && rm -f ${dir}/nopkg\nexit 0\n`);
  write(path.join(dir, "per-boot.sh"), renderResumableBoot({ bootScript: path.join(dir, "boot.sh"), packages: PACKAGES, marker, rebootRequest }));
  const start = (): number => {
    try {
      execFileSync("bash", [path.join(dir, "per-boot.sh")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: "ignore", timeout: 20_000 });
      return 0;
    } catch (e) {
      return (e as { status?: number }).status ?? -1;
    }
  };
  const read = (f: string): string => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
  return { dir, start, marker, boot: () => read("runs").split("\n").filter(Boolean).length, log: () => read("log") };
}

/** Runs `fn` in a fresh sandbox, removed afterwards whatever happens. */
function withSandbox(fn: (s: ReturnType<typeof sandbox>) => void): void {
  const s = sandbox();
  try {
    fn(s);
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
}

describe("render/resumable-boot: the first boot's work, at every boot until it has completed once", () => {
  it("a boot cut short (the script failed or never ran) runs again at the next start; once complete, never again", () =>
    withSandbox((s) => {
      fs.writeFileSync(path.join(s.dir, "fail"), "");
      assert.notEqual(s.start(), 0, "a failed boot script fails the run (cloud-init logs it)");
      assert.equal(fs.existsSync(s.marker), false, "no marker: the next start runs it again");
      fs.rmSync(path.join(s.dir, "fail"));
      assert.equal(s.start(), 0);
      assert.equal(fs.existsSync(s.marker), true);
      assert.equal(s.start(), 0);
      assert.equal(s.start(), 0);
      assert.equal(s.boot(), 2, "started from the warm pool: the boot script does not run again");
    }));

  it("a boot that asks for a reboot (Jibri's new kernel) gets it only after the marker is written, once", () => {
    withSandbox((s) => {
      fs.writeFileSync(path.join(s.dir, "kernel"), "");
      assert.equal(s.start(), 0);
      assert.deepEqual(s.log().trim().split("\n").filter((l) => l.startsWith("systemctl")), ["systemctl reboot marker=yes"]);
      assert.equal(fs.existsSync(path.join(s.dir, "run", "reboot-requested")), false, "the request is consumed");
      assert.equal(s.start(), 0, "the boot after the reboot");
      assert.equal(s.boot(), 1, "the reboot does not run the boot script again");
      assert.equal(s.log().match(/systemctl/g)?.length, 1, "nor reboot again");
    });
    withSandbox((t) => {
      assert.equal(t.start(), 0);
      assert.doesNotMatch(t.log(), /systemctl/, "no request: no reboot");
    });
  });

  it("installs the packages cloud-init would have, only when one is missing", () => {
    withSandbox((s) => {
      fs.writeFileSync(path.join(s.dir, "nopkg"), "");
      assert.equal(s.start(), 0);
      const log = s.log().trim().split("\n");
      assert.deepEqual(log, [`dpkg -s ${PACKAGES.join(" ")}`, "apt-get update", `apt-get install -y --no-install-recommends ${PACKAGES.join(" ")}`]);
    });
    withSandbox((t) => {
      assert.equal(t.start(), 0);
      assert.deepEqual(t.log().trim().split("\n"), [`dpkg -s ${PACKAGES.join(" ")}`], "all installed: no apt-get");
    });
  });

  it("passes shellcheck; refuses a relative path or a package name a shell would split", function () {
    const shellcheck = requireBinary(this, "shellcheck");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "resumable-sc-"));
    try {
      fs.writeFileSync(path.join(dir, "per-boot.sh"), renderResumableBoot({ bootScript: "/etc/jitsi-aws/staged/boot.sh", packages: PACKAGES }));
      run(shellcheck, ["-s", "bash", "-S", "style", path.join(dir, "per-boot.sh")]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => renderResumableBoot({ bootScript: "boot.sh", packages: [] }), /bootScript must be an absolute path, got "boot.sh"/);
    assert.throws(() => renderResumableBoot({ bootScript: "/b.sh", packages: [], rebootRequest: "run/x" }), /rebootRequest must be an absolute path, got "run\/x"/);
    assert.throws(() => renderResumableBoot({ bootScript: "/b.sh", packages: ["curl; reboot"] }), /packages must be Debian package names, got "curl; reboot"/);
  });
});

describe("render/resumable-boot in the prod plan", function () {
  this.timeout(120_000);

  it("bridges and recorders run boot.sh from the per-boot script (no runcmd); the shards still from runcmd", async () => {
    const userData = await prodFiles("user-data.yaml");
    const of = (suffix: string) => userData.filter((f) => f.component.endsWith(suffix));
    for (const f of [...of("-bridges"), ...of("-jibri")]) {
      const doc = parse(f.content) as { runcmd?: unknown; write_files: { path: string; permissions: string; content: string }[] };
      assert.equal(doc.runcmd, undefined, `${f.component}: runcmd`);
      const perBoot = doc.write_files.find((w) => w.path === RESUMABLE_BOOT_PATH);
      assert.ok(perBoot, `${f.component}: no ${RESUMABLE_BOOT_PATH}`);
      assert.equal(perBoot.permissions, "0700");
      assert.match(perBoot.content, new RegExp(`marker='${BOOT_COMPLETE_MARKER}'`));
      assert.match(perBoot.content, /^'\/etc\/jitsi-aws\/staged\/boot\.sh'$/m);
    }
    assert.ok(of("-bridges").length > 0 && of("-jibri").length > 0, `components: ${userData.map((f) => f.component).join(", ")}`);
    const published = await prodFiles(RESUMABLE_BOOT_FILE);
    assert.ok(published.some((f) => f.component.endsWith("-bridges")), "the per-boot script is published with the bridges' files");
    const shards = userData.filter((f) => /-s\d+-shard$/.test(f.component));
    assert.ok(shards.length > 0);
    for (const f of shards) assert.deepEqual((parse(f.content) as { runcmd: unknown }).runcmd, [["/etc/jitsi-aws/staged/boot.sh"]], f.component);
  });
});
