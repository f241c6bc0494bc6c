import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import { isRunbookBotError } from '../../src/runbooks/errors.js';
import { REDACTED } from '../../src/runbooks/redact.js';
import { targetConfigSchema } from '../../src/runbooks/target.js';
import {
  containerCommandLines,
  countingExecs,
  DOCKER_HOST,
  dockerFromEnv,
  execText,
  LAB_IMAGE,
  uniquePrefix,
} from './docker-lab.js';
import { describeExecutorContract, type ExecutorFixture } from './executor-contract.js';

const skip = !DOCKER_HOST;
if (skip) console.warn('docker-executor tests skipped: DOCKER_HOST is not set (the lab socket, unix:///…)');

interface Lab {
  docker: Dockerode;
  prefix: string;
  secret: string;
  redis: string;
  client: string;
  network: string;
  otherNetwork: string;
  executor: TargetExecutor;
  cleanup(): Promise<void>;
}

async function startLab(): Promise<Lab> {
  const docker = dockerFromEnv();
  const prefix = uniquePrefix();
  const secret = `Pw-${randomBytes(9).toString('hex')}`;
  const network = `${prefix}net`;
  const otherNetwork = `${prefix}other`;
  const redis = `${prefix}redis`;
  const client = `${prefix}client`;
  const volume = `${prefix}data`;
  const created: string[] = [];
  const cleanup = async () => {
    for (const name of created)
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => {});
    for (const net of [network, otherNetwork])
      await docker
        .getNetwork(net)
        .remove()
        .catch(() => {});
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => {});
  };
  try {
    await docker.createNetwork({ Name: network });
    await docker.createNetwork({ Name: otherNetwork });
    const make = async (name: string, cmd: string[], binds: string[] = []) => {
      const c = await docker.createContainer({
        name,
        Image: LAB_IMAGE,
        Cmd: cmd,
        HostConfig: { NetworkMode: network, Binds: binds },
      });
      created.push(name);
      await c.start();
    };
    await make(
      redis,
      ['redis-server', '--protected-mode', 'no', '--save', '', '--requirepass', secret],
      [`${volume}:/data`],
    );
    await make(client, ['sleep', '100000']);
  } catch (e) {
    await cleanup();
    throw e;
  }
  const target = targetConfigSchema.parse({
    redis: { docker: { container: redis }, passwordEnv: 'LAB_REDIS_PASSWORD' },
    clients: [{ name: 'api', docker: { container: client } }],
  });
  const executor = new TargetExecutor('cache', target, {
    docker,
    secretOf: (env) => (env === 'LAB_REDIS_PASSWORD' ? secret : undefined),
  });
  return { docker, prefix, secret, redis, client, network, otherNetwork, executor, cleanup };
}

describe.skipIf(skip)('DockerExecutor', () => {
  describeExecutorContract('docker', async (): Promise<ExecutorFixture> => {
    const lab = await startLab();
    const missing = targetConfigSchema.parse({ redis: { docker: { container: `${lab.prefix}absent` } } });
    return {
      executor: lab.executor,
      place: { at: 'redis' },
      secret: lab.secret,
      unreachable: new TargetExecutor('absent', missing, { docker: lab.docker, secretOf: () => undefined }),
      countProcesses: async (text) =>
        (await containerCommandLines(lab.docker, lab.redis)).filter((l) => l.includes(text)).length,
      cleanup: async () => {
        await lab.executor.close();
        await lab.cleanup();
      },
    };
  });

  describe('docker-only actions', () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await startLab();
    });
    afterAll(async () => {
      await lab?.cleanup();
    });
    const redisPlace = { at: 'redis' } as const;
    const clientPlace = { at: 'client', client: 'api' } as const;
    const t = { timeoutMs: 20_000 };

    it('runs exec as the given user', async () => {
      const asDefault = await lab.executor.run({ kind: 'exec', place: redisPlace, argv: ['id', '-u'] }, t);
      const asRoot = await lab.executor.run(
        { kind: 'exec', place: redisPlace, argv: ['id', '-u'], user: 'root' },
        t,
      );
      expect(asDefault.stdout.trim()).toBe('999');
      expect(asRoot.stdout.trim()).toBe('0');
    });

    it('reaches Redis from a client container by name, with the password out of band', async () => {
      const r = await lab.executor.run({ kind: 'redis', place: clientPlace, args: ['PING'] }, t);
      expect(r).toMatchObject({ exitCode: 0, stdout: 'PONG\n' });
    });

    it('inspects a container as JSON, with its secrets redacted', async () => {
      const r = await lab.executor.run({ kind: 'inspect', place: redisPlace }, t);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).not.toContain(lab.secret);
      const info = JSON.parse(r.stdout) as { State: { Running: boolean }; Config: { Cmd: string[] } };
      expect(info.State.Running).toBe(true);
      expect(info.Config.Cmd).toContain(REDACTED);
    });

    it('reads the last log lines', async () => {
      const r = await lab.executor.run({ kind: 'logs', place: redisPlace, tail: 5 }, t);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean).length).toBeLessThanOrEqual(5);
      expect(`${r.stdout}${r.stderr}`).toMatch(/Ready to accept connections/);
    });

    it('runs a helper container that shares the volumes of a stopped container, then removes it', async () => {
      const marker = `helper-${randomBytes(4).toString('hex')}`;
      await lab.docker.getContainer(lab.redis).kill();
      const write = await lab.executor.run(
        {
          kind: 'helper',
          place: redisPlace,
          argv: ['sh', '-c', `echo ${marker} > /data/marker; id -u`],
          user: 'root',
        },
        t,
      );
      expect(write).toMatchObject({ exitCode: 0, stdout: '0\n' });
      const read = await lab.executor.run(
        { kind: 'helper', place: redisPlace, argv: ['cat', '/data/marker'], user: 'redis' },
        t,
      );
      expect(read.stderr).toBe('');
      expect(read.stdout.trim()).toBe(marker);
      const helpers = await lab.docker.listContainers({
        all: true,
        filters: { label: ['runbook-bot.helper'] },
      });
      expect(helpers.filter((h) => h.Labels?.['runbook-bot.helper'] === lab.redis)).toHaveLength(0);
    });

    it('says unreachable when exec targets a stopped container, and start brings it back', async () => {
      await lab.docker
        .getContainer(lab.redis)
        .kill()
        .catch(() => {});
      const down = await lab.executor.run({ kind: 'exec', place: redisPlace, argv: ['true'] }, t);
      expect(down).toMatchObject({ unreachable: true, exitCode: null });
      expect(down.error).toMatch(/not running/);
      const started = await lab.executor.run({ kind: 'start', place: redisPlace }, t);
      expect(started.exitCode).toBe(0);
      const again = await lab.executor.run({ kind: 'start', place: redisPlace }, t);
      expect(again.exitCode).toBe(0);
      const restarted = await lab.executor.run({ kind: 'restart', place: redisPlace }, t);
      expect(restarted.exitCode).toBe(0);
      expect(restarted.durationMs).toBeLessThan(15_000);
      const up = await lab.executor.run({ kind: 'exec', place: redisPlace, argv: ['true'] }, t);
      expect(up.exitCode).toBe(0);
    });

    it('connects a container to a network, idempotently', async () => {
      const connect = { kind: 'network-connect', place: redisPlace, network: lab.otherNetwork } as const;
      expect((await lab.executor.run(connect, t)).exitCode).toBe(0);
      expect((await lab.executor.run(connect, t)).exitCode).toBe(0);
      const info = await lab.docker.getContainer(lab.redis).inspect();
      expect(Object.keys(info.NetworkSettings.Networks)).toContain(lab.otherNetwork);
      const bad = await lab.executor.run({ ...connect, network: `${lab.prefix}nonexistent` }, t);
      expect(bad).toMatchObject({ exitCode: 1, unreachable: false });
    });

    it('refuses an unknown client place as misconfiguration', async () => {
      await expect(
        lab.executor.run({ kind: 'exec', place: { at: 'client', client: 'nope' }, argv: ['true'] }, t),
      ).rejects.toSatisfy((e: unknown) => isRunbookBotError(e, 'EXECUTOR_MISCONFIGURED'));
    });

    it('returns unreachable when the engine socket is down', async () => {
      const { default: Docker } = await import('dockerode');
      const dead = new Docker({ socketPath: `/tmp/${lab.prefix}no-such.sock` });
      const target = targetConfigSchema.parse({ redis: { docker: { container: lab.redis } } });
      const ex = new TargetExecutor('dead', target, { docker: dead, secretOf: () => undefined });
      for (const kind of ['inspect', 'start'] as const) {
        const r = await ex.run({ kind, place: redisPlace }, t);
        expect(r).toMatchObject({ unreachable: true });
        expect(r.error).toMatch(/engine unreachable/);
      }
    });

    it('parallel actions into one container share one check for `timeout` and `sh`', async () => {
      // Counts the probes the executor sends, on a fresh executor (its cache is per instance).
      let probes = 0;
      const counting = countingExecs(lab.docker, (cmd) => {
        if (cmd.join(' ').startsWith('timeout -s KILL 5 ')) probes++;
      });
      const target = targetConfigSchema.parse({ redis: { docker: { container: lab.redis } } });
      const ex = new TargetExecutor('count', target, { docker: counting, secretOf: () => undefined });
      const runs = await Promise.all(
        [1, 2, 3, 4].map((i) => ex.run({ kind: 'exec', place: redisPlace, argv: ['echo', String(i)] }, t)),
      );
      expect(runs.map((r) => r.stdout.trim())).toEqual(['1', '2', '3', '4']);
      expect(probes).toBe(1);
    });

    it('measures the exec round trip', async () => {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        await lab.executor.run({ kind: 'exec', place: redisPlace, argv: ['true'] }, t);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      console.log(
        `docker exec round trip: median ${times[5]?.toFixed(1)} ms, max ${times[9]?.toFixed(1)} ms`,
      );
      expect(await execText(lab.docker, lab.redis, ['true'])).toBe('');
    });
  });
});
