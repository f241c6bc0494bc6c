import { runAlertLedgerContract } from '../support/alert-ledger-contract.js';
import { MemoryAlertLedger } from '../support/memory-alert-ledger.js';

runAlertLedgerContract('MemoryAlertLedger', async () => ({
  ledger: new MemoryAlertLedger(),
  close: async () => undefined,
}));
