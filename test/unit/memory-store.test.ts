import { MemoryStore } from '../support/memory-store.js';
import { runStoreContract } from '../support/store-contract.js';

runStoreContract('MemoryStore', async () => ({ store: new MemoryStore(), close: async () => undefined }));
