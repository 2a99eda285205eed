/**
 * The user data every host component builds the same way: its rendered files staged under
 * /etc/jitsi-aws/staged (the boot script installs them), systemd units, a few files at fixed paths, and
 * `boot.sh` run once by cloud-init (or, for hosts a warm pool may stop mid-boot, at every boot until it has
 * completed once: render/resumable-boot.ts). Every file is also published for the offline plan.
 */
import { encodeUserData, renderCloudConfig } from "../render/cloud-config";
import { renderResumableBoot, RESUMABLE_BOOT_PATH } from "../render/resumable-boot";
import { publishRenderedFile } from "./rendered-files";

export const STAGING_DIR = "/etc/jitsi-aws/staged";

export interface HostUserDataInput {
  readonly region: string;
  /** The component's resource name (the plan's files/<region>/<component>/ folder). */
  readonly component: string;
  /** Debian packages cloud-init installs before boot.sh. */
  readonly packages: readonly string[];
  /** File name → content and mode, written to STAGING_DIR; must include "boot.sh". */
  readonly staged: Readonly<Record<string, { readonly content: string; readonly permissions: string }>>;
  /** systemd unit name → content, written to /etc/systemd/system. */
  readonly units?: Readonly<Record<string, string>>;
  /** Absolute path → content, for files that must sit where a package expects them (not published). */
  readonly system?: Readonly<Record<string, string>>;
  /** Staged files not to publish under this component (published elsewhere). */
  readonly unpublished?: readonly string[];
  /** Folder below the component's for the published files (one host of several). @default "" */
  readonly publishPrefix?: string;
  /** What the user data belongs to, for the size error. @default component */
  readonly what?: string;
  /**
   * The host may sit in a warm pool: boot.sh runs from cloud-init's per-boot scripts until it has completed once, not
   * from runcmd (render/resumable-boot.ts says why). @default false
   */
  readonly resumableBoot?: boolean;
}

/** The published name of the per-boot script (files/<region>/<component>/…). */
export const RESUMABLE_BOOT_FILE = "per-boot.sh";

/** Renders the cloud-config, publishes the files, and returns the base64 user data for a launch template. */
export function hostUserData(i: HostUserDataInput): string {
  if (!i.staged["boot.sh"]) throw new Error(`${i.component}: user data needs a staged boot.sh`);
  const units = i.units ?? {};
  const boot = `${STAGING_DIR}/boot.sh`;
  const perBoot = i.resumableBoot ? renderResumableBoot({ bootScript: boot, packages: i.packages }) : undefined;
  const text = renderCloudConfig({
    packages: i.packages,
    writeFiles: [
      ...Object.entries(i.staged).map(([file, f]) => ({ path: `${STAGING_DIR}/${file}`, content: f.content, permissions: f.permissions })),
      ...Object.entries(units).map(([file, content]) => ({ path: `/etc/systemd/system/${file}`, content })),
      ...Object.entries(i.system ?? {}).map(([path, content]) => ({ path, content })),
      ...(perBoot ? [{ path: RESUMABLE_BOOT_PATH, content: perBoot, permissions: "0700" }] : []),
    ],
    runcmd: perBoot ? [] : [[boot]],
  });
  const published: Record<string, string> = {
    ...Object.fromEntries(Object.entries(i.staged).map(([f, x]) => [f, x.content])),
    ...units,
    ...(perBoot ? { [RESUMABLE_BOOT_FILE]: perBoot } : {}),
    "user-data.yaml": text,
  };
  for (const [file, content] of Object.entries(published))
    if (!(i.unpublished ?? []).includes(file))
      publishRenderedFile({ region: i.region, component: i.component, path: `${i.publishPrefix ?? ""}${file}`, content });
  return encodeUserData(text, `${i.what ?? i.component} user data`);
}

/** Staged files with the usual modes: scripts (*.sh) 0700, everything else 0644. */
export function stagedByExtension(files: Readonly<Record<string, string>>, executable: (file: string) => boolean = (f) => f.endsWith(".sh")) {
  return Object.fromEntries(Object.entries(files).map(([f, content]) => [f, { content, permissions: executable(f) ? "0700" : "0644" }]));
}
