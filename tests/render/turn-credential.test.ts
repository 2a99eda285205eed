/**
 * The TURN REST credential against known vectors and against Prosody's own Lua code path.
 * Vectors were computed outside this project twice and agreed: with Python's hmac/hashlib and with Prosody's
 * util.hashes.hmac_sha1 + util.encodings.base64 (the functions mod_external_services.lua calls).
 */
import * as assert from "assert";
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { turnCredential } from "../../render/turn-credential";
import { requireBinary, run } from "../helpers/env";

const VECTORS = [
  { secret: "s3cret", user: "alice", ttl: 600, now: 1_699_999_400, username: "1700000000:alice", password: "TtElzSjT0GdnTQ9xdcRNxx96yQs=" },
  // No user part: what Prosody's mod_external_services sends when the service has no `username`.
  { secret: "north-secret", user: "", ttl: 86_400, now: 1_700_000_000, username: "1700086400", password: "2qpvCAfxmqWyllulrFgjc60oiiI=" },
  // A 40-character letters-and-digits secret, the shape components/secrets.ts generates.
  { secret: "Abcdefghij0123456789Abcdefghij0123456789", user: "jitsi-user@meet.example.org", ttl: 3_600, now: 1_800_000_000, username: "1800003600:jitsi-user@meet.example.org", password: "WGJ3ZtD2OfO20Jr8kCe+UVwzHVw=" },
  // UTF-8 secret and a user containing the separator: coturn takes the expiry before the FIRST ':'.
  { secret: "é-ünïcode", user: "bob:with:colons", ttl: 60, now: 1_700_000_000, username: "1700000060:bob:with:colons", password: "ut2V/ZuNlQJm8LSFiTrGNl2P3xI=" },
];

// Prosody's formula, run by lua5.4 with Prosody's own C hash and base64 modules.
const PROSODY_LUA = `
package.path = "/usr/lib/prosody/?.lua;" .. package.path
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath
local hashes = require "util.hashes"
local base64 = require "util.encodings".base64
local secret, expires, user = arg[1], tonumber(arg[2]), arg[3]
local username
if user == "" then username = string.format("%d", expires) else username = string.format("%d:%s", expires, user) end
io.write(username, "\\n", base64.encode(hashes.hmac_sha1(secret, username)), "\\n")
`;

describe("turnCredential (TURN REST API)", () => {
  for (const v of VECTORS) {
    it(`matches the known vector for user "${v.user}"`, () => {
      const c = turnCredential(v.secret, v.user, v.ttl, v.now);
      assert.strictEqual(c.username, v.username);
      assert.strictEqual(c.password, v.password);
      assert.strictEqual(c.expiresAtS, v.now + v.ttl);
    });
  }

  it("a different secret gives a different password for the same username", () => {
    const a = turnCredential("secret-a", "u", 60, 1_700_000_000);
    const b = turnCredential("secret-b", "u", 60, 1_700_000_000);
    assert.strictEqual(a.username, b.username);
    assert.notStrictEqual(a.password, b.password);
  });

  it("username always starts with the expiry digits and a 20-byte base64 password (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 7 * 86_400 }), fc.integer({ min: 0, max: 4_000_000_000 }), (secret, user, ttl, now) => {
        const c = turnCredential(secret, user, ttl, now);
        const m = /^(\d+)(?::(.*))?$/s.exec(c.username);
        assert.ok(m, c.username);
        assert.strictEqual(Number(m[1]), now + ttl);
        assert.strictEqual(m[2] ?? "", user);
        assert.strictEqual(Buffer.from(c.password, "base64").length, 20);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects unusable input with the field named", () => {
    assert.throws(() => turnCredential("", "u", 60, 0), /secret must be a non-empty string/);
    assert.throws(() => turnCredential("s", "u", 0, 0), /ttlS must be a whole number of seconds > 0, got 0/);
    assert.throws(() => turnCredential("s", "u", 1.5, 0), /ttlS .* got 1.5/);
    assert.throws(() => turnCredential("s", "u", 60, -1), /nowS must be whole unix seconds >= 0, got -1/);
    assert.throws(() => turnCredential("s", "x".repeat(501), 60, 0), /user must be at most 500 bytes/);
  });

  it("equals what Prosody's own hash and base64 modules compute (lua5.4 + /usr/lib/prosody)", function () {
    const lua = requireBinary(this, "lua5.4");
    if (!fs.existsSync("/usr/lib/prosody/util/hashes.so")) {
      if (process.env.CI === "true") throw new Error("Prosody's util.hashes is missing, and CI must have it (see .ci/run)");
      console.log("      skipped: Prosody's util.hashes is not installed (apt-get install prosody)");
      this.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "turn-cred-"));
    try {
      const script = path.join(dir, "prosody-credential.lua");
      fs.writeFileSync(script, PROSODY_LUA);
      const cases = [...VECTORS, { secret: "zZ9", user: "participant-42", ttl: 86_400, now: 1_764_115_200 }];
      for (const v of cases) {
        const c = turnCredential(v.secret, v.user, v.ttl, v.now);
        const [username, password] = run(lua, [script, v.secret, String(v.now + v.ttl), v.user]).split("\n");
        assert.deepStrictEqual({ username, password }, { username: c.username, password: c.password });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
