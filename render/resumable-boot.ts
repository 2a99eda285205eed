/**
 * The first boot's work of a host that may sit in an Auto Scaling warm pool, run from cloud-init's per-boot scripts
 * until it has completed once. Pure: typed input → script text.
 *
 * AWS stops an instance entering a warm pool as soon as it has launched, without waiting for its user data, and
 * cloud-init runs user data only on an instance's first boot (AWS EC2 Auto Scaling user guide, "Use lifecycle hooks
 * with a warm pool"): a boot the stop cuts short would leave a host half-installed that later goes into service. The
 * groups' launching hook holds the stop until the boot is over, but a hook only reaches instances launched after it
 * exists (a group given its warm pool by an update gets `initialLifecycleHooks` too late, and a hook can time out).
 * So the boot script runs from /var/lib/cloud/scripts/per-boot (cloud-init's `scripts_per_boot`, final stage, where
 * runcmd ran it before) and a marker written after it succeeded makes every later boot skip it: a cut-short boot
 * finishes at the instance's next start, and `cloud-init status --wait` (which the launching hook's release waits
 * for) covers it.
 */
import { shQuote } from "./boot-common";

/** cloud-init runs every executable here at every boot (module scripts_per_boot). */
export const PER_BOOT_DIR = "/var/lib/cloud/scripts/per-boot";
export const RESUMABLE_BOOT_PATH = `${PER_BOOT_DIR}/jitsi-aws-boot.sh`;
/** Written once the boot script has succeeded; root-owned, on the root volume (kept while the instance is stopped). */
export const BOOT_COMPLETE_MARKER = "/var/lib/jitsi-aws/boot-complete";
/**
 * A boot script that needs a reboot to finish (Jibri's generic kernel) creates this instead of rebooting itself: the
 * wrapper reboots only after the marker is written, so the reboot cannot cut the marker off and run the whole boot
 * again. Under /run (tmpfs): it never outlives the boot that asked.
 */
export const REBOOT_REQUEST = "/run/jitsi-aws/reboot-requested";

export interface ResumableBootInput {
  /** The boot script to run (absolute path: cloud-init wrote it with the rest of the user data's files). */
  readonly bootScript: string;
  /** Debian packages the boot script needs, which cloud-init installs at first boot (a cut-short boot may not have). */
  readonly packages: readonly string[];
  /** @default BOOT_COMPLETE_MARKER */
  readonly marker?: string;
  /** @default REBOOT_REQUEST */
  readonly rebootRequest?: string;
}

const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

export function renderResumableBoot(i: ResumableBootInput): string {
  const marker = i.marker ?? BOOT_COMPLETE_MARKER;
  const rebootRequest = i.rebootRequest ?? REBOOT_REQUEST;
  for (const [field, v] of [["bootScript", i.bootScript], ["marker", marker], ["rebootRequest", rebootRequest]] as const)
    if (!/^\/[A-Za-z0-9_./-]+$/.test(v)) throw new Error(`resumable boot: ${field} must be an absolute path, got ${JSON.stringify(v)}`);
  const bad = i.packages.filter((p) => !PACKAGE.test(p));
  if (bad.length > 0) throw new Error(`resumable boot: packages must be Debian package names, got ${bad.map((p) => JSON.stringify(p)).join(", ")}`);
  const packages = i.packages.map(shQuote).join(" ");
  const ensurePackages = i.packages.length === 0 ? "" : `
# cloud-init installs these before the final stage at first boot; a boot cut short may have stopped before that.
if ! dpkg -s ${packages} >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages}
fi
`;
  return `#!/bin/bash
# Rendered by jitsi-aws (render/resumable-boot.ts): the first boot's work, at every boot until it has completed once
# (a warm-pool instance can be stopped before its first boot is over).
set -euo pipefail
marker=${shQuote(marker)}
reboot_request=${shQuote(rebootRequest)}
if [ -f "\${marker}" ]; then
  exit 0
fi
${ensurePackages}
rm -f "\${reboot_request}"
${shQuote(i.bootScript)}
install -d -m 0755 "$(dirname "\${marker}")"
touch "\${marker}"
sync
# The boot asked for a reboot (a new kernel): only now that the marker is on disk.
if [ -f "\${reboot_request}" ]; then
  rm -f "\${reboot_request}"
  systemctl reboot
fi
`;
}
