/** Calendars, templates and the plan: what gets posted, when, saying what. */
export * from './types';
export * from './errors';
export { createCalendarActivities, type CalendarActivities, type CalendarActivityDeps } from './activities';
export { planPosts, RESERVED_VARIABLES, type Plan, type PlanInput } from './plan';
export {
  loadWorkspace,
  planWorkspace,
  horizonFrom,
  type Workspace,
  type WorkspaceOptions,
} from './workspace';
export { loadCalendar, type Calendar, type Campaign } from './calendar';
export { TemplateSet } from './templates';
export { localToInstant } from './local-time';
export { lintPrompt } from './prompt-lint';
