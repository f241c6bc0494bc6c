// The pure core: runbooks as step graphs and the engine that walks them. No I/O, no clock, no
// randomness: time and ids come in as arguments.
export * from './action.js';
export * from './action-runner.js';
export * from './catalogue.js';
export * from './commands.js';
export * from './condition.js';
export * from './describe.js';
export * from './engine.js';
export type { OpeningAlert } from './engine-alert.js';
export * from './errors.js';
export * from './model.js';
export * from './precondition.js';
export * from './report.js';
export * from './result.js';
export * from './run-queries.js';
export * from './state.js';
export * from './target.js';
export * from './validate.js';
