/** Decoding of launch-template user data as EC2 hands it to cloud-init (base64, maybe gzip). */
import { gunzipSync } from "zlib";

export function decodeUserData(b64: string): string {
  const raw = Buffer.from(b64, "base64");
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
}
