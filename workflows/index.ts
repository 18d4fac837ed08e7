// Every workflow the worker registers. Workflow code is deterministic: it imports only types
// from activities/ and pure modules.
export { selfCheck } from './self-check';
