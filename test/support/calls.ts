import type { Test } from 'tap';
import { curlHttps, eventually } from './podman-cli.js';

/**
 * Every pod answers /health (each needs a JVM start first), then calls every other pod once
 * over TLS with hostname verification, through its published port on loopback.
 */
export async function allCallsWork(t: Test, pods: { hostname: string; port: number }[], caFile: string, when: string): Promise<void> {
  for (const pod of pods) {
    const ready = await eventually(async () => ((await curlHttps(`https://${pod.hostname}:${pod.port}/health`, caFile, pod.hostname, pod.port)).code === 0 ? true : undefined));
    t.ok(ready, `${pod.hostname} answers /health over TLS ${when}`);
  }
  for (const from of pods) {
    for (const to of pods.filter((pod) => pod !== from)) {
      const url = `https://${from.hostname}:${from.port}/call?url=${encodeURIComponent(`https://${to.hostname}:8123/health`)}`;
      const answer = await curlHttps(url, caFile, from.hostname, from.port);
      t.match(JSON.parse(answer.stdout || '{}'), { status: 'ok', upstreamStatus: 200 }, `${from.hostname} → ${to.hostname} over TLS ${when}`);
    }
  }
}
