import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';

// Test-side access to the lab's container engine: the tests read their environment here only.
export const DOCKER_HOST = process.env.DOCKER_HOST;
export const LAB_IMAGE = process.env.LAB_REDIS_IMAGE ?? 'localhost/runbook-bot-lab/redis:latest';

export function dockerFromEnv(): Dockerode {
  const host = DOCKER_HOST ?? '';
  if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST must be unix:///…, got "${host}"`);
  return new Dockerode({ socketPath: host.slice('unix://'.length) });
}

export const uniquePrefix = () => `rbb-${randomBytes(4).toString('hex')}-`;

/** The engine client, telling `onExec` the Cmd of every exec created through it (counts probes, batches). */
export function countingExecs(docker: Dockerode, onExec: (cmd: string[]) => void): Dockerode {
  return new Proxy(docker, {
    get(d, key, recv) {
      if (key !== 'getContainer') return Reflect.get(d, key, recv);
      return (name: string) => {
        const c = d.getContainer(name);
        const exec = c.exec.bind(c);
        c.exec = ((o: Dockerode.ExecCreateOptions) => {
          onExec(o.Cmd ?? []);
          return exec(o);
        }) as typeof c.exec;
        return c;
      };
    },
  });
}

/** Reads a container's stream to the end (used only for the tests' own side-channel checks). */
async function execText(docker: Dockerode, container: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(container).exec({
    Cmd: cmd,
    User: '0',
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    docker.modem.demuxStream(
      stream,
      { write: (c: Buffer) => chunks.push(c) } as unknown as NodeJS.WritableStream,
      { write: () => true } as unknown as NodeJS.WritableStream,
    );
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
  });
  return Buffer.concat(chunks).toString('utf8');
}

/** Command lines of all processes in a container, one per line. */
export async function containerCommandLines(docker: Dockerode, container: string): Promise<string[]> {
  const text = await execText(docker, container, [
    'sh',
    '-c',
    'cd /proc && for p in [0-9]*; do [ "$p" = "$$" ] && continue; tr "\\000" " " <"$p/cmdline" 2>/dev/null; echo; done',
  ]);
  return text.split('\n').filter((l) => l.trim() !== '');
}

export { execText };
