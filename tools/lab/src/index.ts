export { labMain, targetsYaml } from './cli.js';
export type { CommandOutput, ContainerState } from './docker.js';
export {
  BARE_IMAGE,
  containerAddress,
  containerLogs,
  containerState,
  execIn,
  LAB_IMAGE,
  labDocker,
} from './docker.js';
export { DEFAULT_LAB_DIR, type LabEnv, labEnvFrom } from './env.js';
export { runHost, type TcpProbe, tcpProbe } from './host.js';
export { type SshPlace, shellWord, sshLoopback, writeKnownHosts } from './host-redis.js';
export { isLabError, LabError } from './lab-error.js';
export type { LabSshPlace, LabTarget, LabTargetInput } from './lab-target.js';
export {
  DEFAULT_RULES_FILE,
  type Monitoring,
  type MonitoringOptions,
  monitoringTargetOf,
  type PromSample,
  startMonitoring,
} from './monitoring.js';
export type { AlertTimings, MonitoringTarget } from './monitoring-config.js';
export { ensureLab, type Prerequisites } from './prerequisites.js';
export { type RedisCliPlace, redisCli } from './probes.js';
export {
  findLeftovers,
  isScenarioName,
  type LabOptions,
  type Leftovers,
  listScenarios,
  newPrefix,
  setupScenario,
  teardownPrefix,
} from './scenario.js';
export { LAB_SCRIPTS } from './scripts.js';
export { type CliOptions, type LabScenario, SCENARIO_NAMES, type ScenarioName } from './types.js';
