export { DEMO_TARGETS, DEMO_USERS, type Demo, startDemo } from './demo-stack.js';
export { freePort, OwnRedis } from './redis-server.js';
