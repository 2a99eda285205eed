/**
 * agents/jibri-finalize: the key layout and the command line (the uploads themselves are proven against s3rver in
 * tests/daemons/jibri-finalize-s3.test.ts).
 */
import { strict as assert } from "assert";
import { parseFinalizeArgs, recordingDate, roomOf, roomSegment, sessionKeyPrefix } from "../../agents/jibri-finalize";

describe("agents/jibri-finalize key layout", () => {
  it("room from metadata.json meeting_url (last path segment, lower-cased, decoded)", () => {
    assert.equal(roomOf({ meeting_url: "https://meet.example.com/Team%20Weekly" }, []), "team-weekly");
    assert.equal(roomOf({ meeting_url: "https://meet.example.com/acme/BoardRoom" }, []), "boardroom");
  });
  it("room from the mp4 name when metadata is missing or unusable", () => {
    assert.equal(roomOf(undefined, ["Standup_2026-01-02-03-04-05.mp4", "metadata.json"]), "standup");
    assert.equal(roomOf({ meeting_url: "not a url" }, ["x_2026-01-02-03-04-05.mp4"]), "x");
  });
  it("a room that sanitizes to nothing becomes unknown-room; no key segment can escape ('..', '/')", () => {
    assert.equal(roomSegment("../.."), "unknown-room");
    assert.equal(roomSegment("a/b\\c"), "a-b-c");
    assert.equal(roomSegment("x".repeat(300)).length, 100);
  });
  it("date from the recording start in the mp4 name (UTC), else the clock", () => {
    const fallback = new Date("2026-12-31T23:59:59Z");
    assert.equal(recordingDate(["R_2026-02-03-04-05-06.mp4"], fallback).toISOString(), "2026-02-03T04:05:06.000Z");
    assert.equal(recordingDate(["metadata.json"], fallback), fallback);
  });
  it("key prefix = <prefix>yyyy/mm/dd/room/session/", () => {
    assert.equal(sessionKeyPrefix("recordings/", new Date("2026-03-04T23:00:00Z"), "room", "sess1"), "recordings/2026/03/04/room/sess1/");
    assert.equal(sessionKeyPrefix("", new Date("2026-11-05T00:00:00Z"), "r", "s"), "2026/11/05/r/s/");
  });
});

describe("agents/jibri-finalize command line", () => {
  const base = ["/var/lib/jibri/recordings/abc", "--bucket", "my-recordings", "--region", "eu-west-1", "--pool", "rec"];
  it("Jibri's call (one directory) plus the wrapper's flags", () => {
    const o = parseFinalizeArgs(base);
    assert.deepStrictEqual([o.mode, o.dir, o.bucket, o.region, o.pool, o.prefix, o.attempts, o.partSizeMiB], ["session", "/var/lib/jibri/recordings/abc", "my-recordings", "eu-west-1", "rec", "recordings/", 6, 64]);
  });
  it("sweep mode", () => {
    assert.equal(parseFinalizeArgs(["sweep", ...base]).mode, "sweep");
  });
  it("rejects bad values naming the flag and what is allowed", () => {
    assert.throws(() => parseFinalizeArgs(base.filter((a) => a !== "--pool" && a !== "rec")), /--pool is required/);
    assert.throws(() => parseFinalizeArgs([...base, "--part-size-mib", "1"]), /--part-size-mib must be a whole number from 5 to 5120/);
    assert.throws(() => parseFinalizeArgs([...base, "--attempts", "0"]), /--attempts must be a whole number from 1 to 20/);
    assert.throws(() => parseFinalizeArgs([...base, "--prefix", "no-slash"]), /--prefix must be empty or end with '\/'/);
    assert.throws(() => parseFinalizeArgs(["relative/dir", ...base.slice(1)]), /expected one absolute directory/);
    assert.throws(() => parseFinalizeArgs([...base, "--bogus", "1"]), /unknown option --bogus/);
    assert.throws(() => parseFinalizeArgs([base[0], "--bucket", "Bad_Bucket", "--region", "r", "--pool", "p"]), /--bucket must be an S3 bucket name/);
  });
});
