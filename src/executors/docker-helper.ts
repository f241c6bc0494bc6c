import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Deadline } from './deadline.js';
import { sleep, stoppedParts } from './deadline.js';
import { demuxLogs } from './docker-support.js';
import { capturedParts, OutputCapture, type ResultParts } from './output.js';

export const HELPER_LABEL = 'runbook-bot.helper';

/**
 * Runs argv in a short-lived container from the same image as `source`, sharing its volumes, as
 * `user`; the helper is removed afterwards whatever happens. This is how a stopped container's data
 * directory is examined or repaired: an exited container cannot be exec'd into.
 */
export async function runHelper(
  docker: Dockerode,
  source: string,
  argv: readonly string[],
  user: string,
  ctx: { deadline: Deadline; maxBytes: number },
): Promise<ResultParts> {
  const { deadline } = ctx;
  const info = await docker.getContainer(source).inspect({ abortSignal: deadline.signal });
  const [entrypoint, ...args] = argv;
  const helper = await docker.createContainer({
    name: `rbb-helper-${randomBytes(6).toString('hex')}`,
    Image: info.Image || info.Config.Image,
    // Our argv, not the image's entrypoint script (which may chown or start the server).
    Entrypoint: entrypoint === undefined ? [] : [entrypoint],
    Cmd: args,
    User: user,
    Labels: { [HELPER_LABEL]: source },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: { VolumesFrom: [source], NetworkMode: 'none' },
  });
  try {
    await helper.start();
    const outcome = await deadline.race(helper.wait() as Promise<{ StatusCode?: number }>);
    let parts: ResultParts;
    if (outcome.done) {
      parts = { exitCode: outcome.value.StatusCode ?? null };
    } else {
      await helper.kill({ signal: 'SIGKILL' }).catch(() => {});
      parts = stoppedParts(outcome.reason, deadline.timeoutMs);
    }
    const out = new OutputCapture(ctx.maxBytes);
    const err = new OutputCapture(ctx.maxBytes);
    const logs: unknown = await helper.logs({ stdout: true, stderr: true, follow: false });
    await demuxLogs(docker.modem, logs as Buffer | NodeJS.ReadableStream, out, err);
    return { ...parts, ...capturedParts(out, err) };
  } finally {
    await removeHelper(helper);
  }
}

async function removeHelper(helper: Dockerode.Container): Promise<void> {
  // The engine may still be tearing the container down just after a kill: retry briefly.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await helper.remove({ force: true, v: false });
      return;
    } catch (e) {
      const status = (e as { statusCode?: unknown }).statusCode;
      if (status === 404) return;
      await sleep(200 * (attempt + 1));
    }
  }
}
