// Every workflow the worker registers. Workflow code is deterministic: it imports only types
// from activities/ (and their pure error lists) and pure modules.
export { dailyPlan } from './daily-plan';
export { post } from './post';
export { selfCheck } from './self-check';
export { replayPost } from './replay-post';
