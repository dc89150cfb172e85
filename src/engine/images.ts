import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import { runtimeError } from '../base/errors.js';
import { libpod, type LibpodApi } from './api.js';
import { toEngineError } from './engine-error.js';
import { retryTransient } from './transient.js';

export interface ImageInfo {
  id: string;
  labels: Record<string, string>;
  created: string;
}

export interface BuildOptions {
  tag: string;
  dockerfile: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Build every step afresh instead of reusing cached layers. */
  noCache?: boolean;
  /**
   * Commit every step as a cached layer (the default); false commits the result once, which
   * saves a commit per step where the cache is never used.
   */
  layers?: boolean;
  /** Called with each readable line of the build log (steps, cache hits, command output). */
  onLine?: (line: string) => void;
}

export interface BuildResult {
  imageId: string;
  steps: number;
  /** Steps answered from the layer cache ("--> Using cache"). */
  cacheHits: number;
  log: string[];
}

export class Images {
  /** `compat` gives dockerode, loaded on first use: only builds need it. */
  constructor(
    private readonly api: LibpodApi,
    private readonly compat: () => Promise<Dockerode>,
  ) {}

  async exists(reference: string): Promise<boolean> {
    try {
      await libpod(this.api, 'GET', `/images/${encodeURIComponent(reference)}/exists`);
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  async inspect(reference: string): Promise<ImageInfo | undefined> {
    try {
      const data = await retryTransient(() =>
        libpod<{ Id: string; Labels?: Record<string, string> | null; Created: string }>(this.api, 'GET', `/images/${encodeURIComponent(reference)}/json`),
      );
      return { id: data.Id, labels: data.Labels ?? {}, created: data.Created };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Imports a root file system tar as an image (what `podman import` does). */
  async importRootfs(tar: Readable, reference: string): Promise<string> {
    const result = await libpod<{ Id?: string; id?: string }>(this.api, 'POST', '/images/import', {
      query: { reference },
      file: tar,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    return (result.Id ?? result.id ?? '').replace(/^sha256:/, '');
  }

  /**
   * Removes an image that no name and no container refers to any more (one a rebuild has just
   * taken its tag from). Podman's image count slows every image inspect down, so such images are
   * not left to pile up. Returns whether it went. An image still named, in use or with children
   * is kept, as Podman decides without force; so is one Podman fails to remove for any other
   * reason: keeping it is what a plain `podman build` does, and nothing the caller made is lost.
   */
  async removeIfUnreferenced(id: string): Promise<boolean> {
    try {
      const data = await libpod<{ RepoTags?: string[] | null }>(this.api, 'GET', `/images/${encodeURIComponent(id)}/json`);
      if ((data.RepoTags ?? []).length > 0) return false;
      await libpod(this.api, 'DELETE', `/images/${encodeURIComponent(id)}`);
      return true;
    } catch {
      return false;
    }
  }

  async remove(reference: string): Promise<void> {
    await libpod(this.api, 'DELETE', `/images/${encodeURIComponent(reference)}`, { query: { force: true } });
  }

  /**
   * Builds through the Docker-compatible endpoint (dockerode's buildImage). Every line of the
   * stream is checked: an error line rejects with the tail of the log, and a stream that ends
   * without an image ID is a failure too, so a caller can never hang or miss a broken build.
   */
  async build(context: Readable, options: BuildOptions): Promise<BuildResult> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await (await this.compat()).buildImage(context, {
        t: options.tag,
        dockerfile: options.dockerfile,
        buildargs: options.buildArgs ?? {},
        labels: options.labels ?? {},
        rm: true,
        nocache: options.noCache === true,
        // Podman's compatible endpoint takes its own `layers` parameter too.
        layers: options.layers !== false,
      } as Dockerode.ImageBuildOptions);
    } catch (error) {
      throw toEngineError(error as Error, `build ${options.tag}`);
    }
    const log: string[] = [];
    let steps = 0;
    let cacheHits = 0;
    let imageId = '';
    let failure: string | undefined;
    const onLine = (line: string) => {
      log.push(line);
      if (/^STEP \d+\/\d+:/.test(line)) steps++;
      if (line.startsWith('--> Using cache')) cacheHits++;
      options.onLine?.(line);
    };
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const raw of lines) {
          const message = parseStreamLine(raw);
          if (!message) continue;
          if (message.error) failure = message.error;
          if (message.id) imageId = message.id;
          for (const line of message.text) onLine(line);
        }
      });
      stream.on('error', reject);
      stream.on('end', () => {
        const last = parseStreamLine(buffered);
        if (last?.error) failure = last.error;
        if (last?.id) imageId = last.id;
        resolve();
      });
    });
    if (failure || !imageId) {
      throw runtimeError('BUILD_FAILED', (failure ?? 'the build ended without an image').trim(), {
        subject: options.tag,
        fix: 'fix the step named above; the last lines of its log are printed before this error',
        details: log.slice(-15),
      });
    }
    return { imageId: imageId.replace(/^sha256:/, ''), steps, cacheHits, log };
  }
}

interface StreamMessage {
  text: string[];
  error?: string;
  id?: string;
}

function parseStreamLine(raw: string): StreamMessage | undefined {
  const trimmed = raw.trim();
  if (!trimmed) return undefined;
  let json: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } };
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { text: [trimmed] };
  }
  const message: StreamMessage = { text: (json.stream ?? '').split('\n').filter((line) => line.trim() !== '') };
  const error = json.errorDetail?.message ?? json.error;
  if (error) message.error = error;
  if (json.aux?.ID) message.id = json.aux.ID;
  return message;
}
