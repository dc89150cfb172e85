import t from 'tap';
import { isTransient, retryTransient, RETRY_DELAYS_MS } from '../../src/engine/transient.js';

// Podman 4.3's words for a removal that met a still-mounted layer (containers/podman#11594's shape).
const BUSY = new Error(
  'Podman: removing container 0e3da7bfb50c from pod 0c72f802ee24: removing container 0e3da7bfb50c root filesystem: 1 error occurred: * unlinkat /var/lib/containers/storage/overlay/0cf8c86cb0aa/merged: device or resource busy',
);

t.test('a busy removal is asked again until it succeeds, after growing pauses', async (t) => {
  const slept: number[] = [];
  let calls = 0;
  const result = await retryTransient(
    async () => {
      if (++calls < 3) throw BUSY;
      return 'removed';
    },
    RETRY_DELAYS_MS,
    async (ms) => void slept.push(ms),
  );
  t.equal(result, 'removed');
  t.equal(calls, 3);
  t.same(slept, [500, 1000]);
});

t.test('still busy after every pause: the last failure stands, in Podman’s words', async (t) => {
  let calls = 0;
  await t.rejects(
    retryTransient(
      async () => {
        calls++;
        throw BUSY;
      },
      [1, 2],
      async () => undefined,
    ),
    { message: /device or resource busy/ },
  );
  t.equal(calls, 3, 'the first try and one per pause');
});

t.test('any other failure is final at once', async (t) => {
  let calls = 0;
  await t.rejects(
    retryTransient(
      async () => {
        calls++;
        throw new Error('Podman: no such pod');
      },
      [1, 2],
      async () => undefined,
    ),
  );
  t.equal(calls, 1);
  t.notOk(isTransient(new Error('Podman: address already in use')));
  t.ok(isTransient(BUSY));
});

t.test('a build whose just-written image Podman lost is transient; a failed step is not', async (t) => {
  // Podman 4.3's words, recorded here when builds and untags of other images ran side by side.
  t.ok(isTransient(new Error('[Warning] one or more build args were not consumed: [BASE_IMAGE] error: localhost/x/probe:pre-trust: locating just-written image "containers-storage:[overlay@/var/lib/containers/storage+/run/containers/storage]localhost/x/probe:pre-trust": image not known')));
  t.notOk(isTransient(new Error('error building at STEP "RUN javac Probe.java": exit status 1')));
});

t.test("an image inspect that another image's removal overtook is transient", async (t) => {
  // Podman 4.3's answer, recorded in a full test run while other files removed their images.
  t.ok(isTransient(new Error('GET /images/localhost%2Fdh-podman-test-plain-24097%2Fprobe%3Alatest/json: Podman: runtime error: invalid memory address or nil pointer dereference')));
});
