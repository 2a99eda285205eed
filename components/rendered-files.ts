/**
 * Rendered files (configs, user data, scripts) reported by components so the offline plan can write them
 * under files/<region>/<component>/. Outside the plan nothing listens and publishing costs nothing.
 */
export interface RenderedFile {
  readonly region: string;
  /** The component's resource name. */
  readonly component: string;
  /** Path below the component's folder, e.g. "jicofo.conf" or "user-data.yaml". */
  readonly path: string;
  readonly content: string;
}

type Sink = (file: RenderedFile) => void;
let sink: Sink | undefined;

/** Installs (or with undefined removes) the listener; the plan tool and tests use it. */
export function setRenderedFileSink(next: Sink | undefined): void {
  sink = next;
}

export function publishRenderedFile(file: RenderedFile): void {
  if (file.path.includes("..") || file.path.startsWith("/")) throw new Error(`rendered file path must be relative (got ${file.path})`);
  sink?.(file);
}
