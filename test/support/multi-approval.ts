import type { ApprovalPolicy, ApproverDirectory } from '../../src/incidents/approval-policy.js';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { Dispatcher, StepJob } from '../../src/incidents/ports.js';
import type { Runbook } from '../../src/runbooks/index.js';
import { catalogueOf } from '../../src/runbooks/index.js';
import { MemoryReportStore } from './memory-report-store.js';
import { MemoryStore } from './memory-store.js';
import { toyRunbook, toyTarget } from './toy-runbook.js';

// The toy runbook with its repair made high-risk, and an orchestrator over it, for the tests of
// several approvers and of approver groups.

export function highRiskToy(): Runbook {
  const rb = toyRunbook();
  return { ...rb, steps: rb.steps.map((s) => (s.kind === 'repair' ? { ...s, risk: 'high' as const } : s)) };
}

export const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function approvalSetup(
  o: {
    runbook?: Runbook;
    policy?: Partial<ApprovalPolicy>;
    directory?: ApproverDirectory;
    highRiskApprovals?: number;
  } = {},
) {
  const rb = o.runbook ?? highRiskToy();
  const store = new MemoryStore();
  const steps: StepJob[] = [];
  // Like BullMQ, a job whose id is taken is dropped: dispatch may repeat, by design.
  const dispatcher: Dispatcher = {
    enqueueStep: async (job) => void (steps.some((j) => j.jobId === job.jobId) || steps.push(job)),
    enqueueEvent: async () => undefined,
  };
  const orchestrator = new Orchestrator({
    store,
    dispatcher,
    notifier: { handle: async () => undefined },
    targets: { view: (n) => (n === 'cache' ? toyTarget : undefined), names: () => ['cache'] },
    catalogue: catalogueOf([rb]),
    reports: new IncidentReports({
      runbooks: () => rb,
      store: new MemoryReportStore(),
      secrets: () => [],
      now: () => 1_000,
    }),
    policy: { approvers: ['U_A', 'U_B'], allowSelfApproval: false, ...o.policy },
    ...(o.directory ? { approverDirectory: o.directory } : {}),
    ...(o.highRiskApprovals === undefined ? {} : { highRiskApprovals: o.highRiskApprovals }),
    approvalTtlMs: 60_000,
    now: () => 1_000,
    log: silent,
  });
  const repairs = () => steps.filter((j) => j.kind === 'repair');
  return { rb, store, steps, repairs, o: orchestrator };
}
