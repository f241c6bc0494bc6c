import { catalogueOf } from '../catalogue.js';
import { redisConnectivity } from './redis-connectivity.js';
import { redisPermissions } from './redis-permissions.js';

// The runbooks this product ships. Only the composition root (and tests) import this; everything
// else is handed the catalogue.
export const builtinCatalogue = catalogueOf([redisConnectivity, redisPermissions]);
export const builtinRunbooks = builtinCatalogue.runbooks;
export const builtinRunbook = builtinCatalogue.get;
