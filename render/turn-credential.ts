/**
 * The TURN REST API credential (coturn `use-auth-secret`): the ONE implementation in this project. Tests use it
 * to talk to a real coturn; Prosody's `mod_external_services` computes the same thing in Lua on the shards
 * (docs/turn.md shows the mapping), with `external_service_secret` = coturn's `static-auth-secret`.
 *
 *   username = "<expiry unix seconds>:<user>"   (just "<expiry>" when user is "", as Prosody does without a username)
 *   password = base64(HMAC-SHA1(secret, username))
 *
 * coturn reads the expiry from the digits before the first ':' (userdb.c get_rest_api_timestamp) and refuses
 * the credential once that time has passed; it then recomputes the password from each static secret.
 * Source of the formula: jitsi-facts.md (TURN) and Prosody's mod_external_services.lua.
 */
import { createHmac } from "crypto";

export interface TurnCredential {
  /** `<expiry>:<user>`: the STUN USERNAME the client sends. */
  readonly username: string;
  /** base64(HMAC-SHA1(secret, username)): the long-term-credential password. */
  readonly password: string;
  /** Unix seconds after which coturn refuses the credential. */
  readonly expiresAtS: number;
}

/** coturn's default `rest-api-separator`; this project never changes it. */
export const TURN_REST_SEPARATOR = ":";

/**
 * Makes a time-limited TURN credential. Pure: the clock is passed in (`nowS`, unix seconds).
 * Throws an Error naming the field when an input is unusable, so a caller never hands out a credential
 * coturn would reject for a reason other than expiry.
 */
export function turnCredential(secret: string, user: string, ttlS: number, nowS: number): TurnCredential {
  if (typeof secret !== "string" || secret.length === 0) throw new Error("turnCredential: secret must be a non-empty string");
  if (typeof user !== "string") throw new Error("turnCredential: user must be a string (use \"\" for no user part)");
  // STUN USERNAME is at most 513 bytes (RFC 5389 15.3); the expiry prefix takes up to 11 bytes.
  if (Buffer.byteLength(user, "utf8") > 500) throw new Error("turnCredential: user must be at most 500 bytes of UTF-8");
  if (!Number.isInteger(ttlS) || ttlS <= 0) throw new Error(`turnCredential: ttlS must be a whole number of seconds > 0, got ${ttlS}`);
  if (!Number.isInteger(nowS) || nowS < 0) throw new Error(`turnCredential: nowS must be whole unix seconds >= 0, got ${nowS}`);
  const expiresAtS = nowS + ttlS;
  const username = user === "" ? String(expiresAtS) : `${expiresAtS}${TURN_REST_SEPARATOR}${user}`;
  const password = createHmac("sha1", Buffer.from(secret, "utf8")).update(username, "utf8").digest("base64");
  return { username, password, expiresAtS };
}
