import { LabError } from './lab-error.js';

/** Where the lab lives on this machine; built once from the environment by the composition root. */
export interface LabEnv {
  /** Holds podman.sock, ssh/ and every scenario's host files (LAB_DIR). */
  labDir: string;
  /** Podman's Docker-compatible API socket, from DOCKER_HOST=unix://… */
  dockerSocket: string;
  /** The lab's own sshd on loopback (tools/lab/start.sh). */
  sshPort: number;
}

export const DEFAULT_LAB_DIR = '/run/runbook-bot-lab';

export function labEnvFrom(vars: Readonly<Record<string, string | undefined>>): LabEnv {
  const labDir = vars.LAB_DIR || DEFAULT_LAB_DIR;
  const dockerHost = vars.DOCKER_HOST || `unix://${labDir}/podman.sock`;
  if (!dockerHost.startsWith('unix://')) {
    throw new LabError(`the lab needs a unix socket DOCKER_HOST, got ${dockerHost}`);
  }
  const sshPort = Number(vars.LAB_SSH_PORT || 2222);
  if (!Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65535) {
    throw new LabError(`LAB_SSH_PORT is not a port: ${vars.LAB_SSH_PORT}`);
  }
  return { labDir, dockerSocket: dockerHost.slice('unix://'.length), sshPort };
}
