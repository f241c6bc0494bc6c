// A targets-file entry as the lab writes it. The lab does not import the product: the tests check
// every scenario's entry against the product's own schema (test/integration/lab.test.ts), so the
// two cannot drift apart unseen.
export interface LabSshPlace {
  host: string;
  port: number;
  user: string;
  privateKeyFile: string;
  hostKey: string;
}

export interface LabTarget {
  redis: {
    docker?: { container: string };
    ssh?: LabSshPlace;
    host?: string;
    port: number;
    username?: string;
    passwordEnv?: string;
    dataDir?: string;
    serviceUser?: string;
    logFile?: string;
    logDir?: string;
    unit?: string;
    sudo?: boolean;
    sessionPattern?: string;
    direct?: true | { host: string; port?: number };
  };
  clients: {
    name?: string;
    docker: { container: string };
    /** An HTTP health check of the app, fetched from inside its container. */
    health?: { url: string; status: number; bodyPattern?: string };
  }[];
  /** BullMQ queues, counted read-only. */
  queues?: { prefix: string; names: string[] };
}

/** What a scenario writes: the port and the client list may be left to their defaults. */
export interface LabTargetInput {
  redis: Omit<LabTarget['redis'], 'port' | 'ssh'> & {
    port?: number;
    ssh?: Omit<LabSshPlace, 'port'> & { port?: number };
  };
  clients?: LabTarget['clients'];
  queues?: LabTarget['queues'];
}
