import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { NodeSSH } from 'node-ssh';
import { RunbookBotError } from '../runbooks/errors.js';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  privateKeyFile: string;
  /** Pinned host key fingerprint as `ssh-keygen -lf` prints it: `SHA256:` + unpadded base64. */
  hostKey: string;
}

/** The fingerprint OpenSSH shows for a raw host key blob. */
export const fingerprintOf = (key: Buffer): string =>
  `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

const normalise = (fp: string) => fp.trim().replace(/=+$/, '');

/** The host could not be reached or refused us (network, auth): the result says unreachable. */
export class SshUnreachableError extends Error {
  override readonly name = 'SshUnreachableError';
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * One SSH connection to one host, opened on first use, shared by concurrent actions (one channel
 * each) and opened again if it drops. The host key is checked during key exchange, before
 * authentication, so a host with the wrong key never receives a command.
 */
export class SshConnection {
  private ssh: NodeSSH | null = null;
  private pending: Promise<NodeSSH> | null = null;
  private closed = false;

  constructor(private readonly endpoint: SshEndpoint) {}

  get(): Promise<NodeSSH> {
    if (this.closed) return Promise.reject(new RunbookBotError('EXECUTOR_MISCONFIGURED', 'executor closed'));
    if (this.ssh?.isConnected()) return Promise.resolve(this.ssh);
    if (!this.pending) {
      this.pending = this.open().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  private async open(): Promise<NodeSSH> {
    const { host, port, user, privateKeyFile, hostKey } = this.endpoint;
    let privateKey: string;
    try {
      privateKey = await readFile(privateKeyFile, 'utf8');
    } catch (e) {
      throw new RunbookBotError('EXECUTOR_MISCONFIGURED', `cannot read SSH private key ${privateKeyFile}`, {
        cause: e,
      });
    }
    const expected = normalise(hostKey);
    let presented: string | undefined;
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host,
        port,
        username: user,
        privateKey,
        readyTimeout: CONNECT_TIMEOUT_MS,
        keepaliveInterval: 15_000,
        hostVerifier: (key: Buffer) => {
          presented = fingerprintOf(key);
          return presented === expected;
        },
      });
    } catch (e) {
      ssh.dispose();
      if (presented !== undefined && presented !== expected) {
        throw new RunbookBotError(
          'HOST_KEY_MISMATCH',
          `host key mismatch for ${host}:${port}, a possible man in the middle: the pinned key is ${expected}, the host presented ${presented}; nothing was run`,
        );
      }
      const reason = e instanceof Error ? e.message : String(e);
      throw new SshUnreachableError(`ssh ${user}@${host}:${port}: ${reason}`.slice(0, 300));
    }
    const client = ssh.connection;
    const forget = () => {
      if (this.ssh === ssh) this.ssh = null;
    };
    client?.on('close', forget);
    client?.on('end', forget);
    // Without a listener an 'error' after connect would crash the process.
    client?.on('error', forget);
    if (this.closed) {
      ssh.dispose();
      throw new RunbookBotError('EXECUTOR_MISCONFIGURED', 'executor closed');
    }
    this.ssh = ssh;
    return ssh;
  }

  /** Drops the connection (e.g. after a channel failed in a way that suggests it is dead). */
  reset(): void {
    this.ssh?.dispose();
    this.ssh = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reset();
  }
}
