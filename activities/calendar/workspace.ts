import { readFileSync } from 'node:fs';
import { expandCalendarPaths, listCalendarFiles, loadCalendar, type Calendar } from './calendar';
import { parseBlockedTermsFile } from './compliance';
import { dateOf, dayNumber } from './days';
import { CalendarError, CalendarSyntaxError, type Position } from './errors';
import { planPosts, type Plan, type PlanInput } from './plan';
import { displayPath } from './source';
import { TemplateSet } from './templates';

/** Where calendars, templates and the compliance list are read from. */
export interface WorkspaceOptions {
  /** Calendar files or folders; default: the calendar files in calendarsDir. */
  paths?: string[];
  calendarsDir: string;
  templatesDir: string;
  /** One blocked term a line (config `compliance.blockedTermsFile`). */
  blockedTermsFile?: string;
  /**
   * The hook for the token store: whether an account is connected. Given, `validate` reports a
   * calendar that names an account nobody connected; absent, accounts are not checked.
   */
  isAccountConnected?: PlanInput['isAccountConnected'];
  /** The hook for the model check (validate): see PlanInput.checkModel. */
  checkModel?: PlanInput['checkModel'];
}

/** Everything the plan needs, read from disk once. The edge where I/O happens. */
export interface Workspace {
  calendars: Calendar[];
  templates: TemplateSet;
  blockedTerms: string[];
  /** Problems found while reading (YAML, schema, values, template syntax). */
  problems: CalendarError[];
  isAccountConnected?: PlanInput['isAccountConnected'];
  checkModel?: PlanInput['checkModel'];
}

export function loadWorkspace(options: WorkspaceOptions): Workspace {
  const problems: CalendarError[] = [];
  const { templates, problems: templateProblems } = TemplateSet.load(options.templatesDir);
  problems.push(...templateProblems);

  let files: string[];
  if (options.paths && options.paths.length > 0) {
    files = expandCalendarPaths(options.paths);
  } else {
    try {
      files = listCalendarFiles(options.calendarsDir);
    } catch {
      const at: Position = {
        file: displayPath(options.calendarsDir),
        line: 1,
        col: 1,
        field: 'calendarsDir',
      };
      problems.push(
        new CalendarSyntaxError(
          at,
          `calendars folder ${options.calendarsDir} cannot be read; set calendarsDir (REELCAST_CALENDARS_DIR) to the folder with your calendars`,
        ),
      );
      files = [];
    }
  }
  const calendars: Calendar[] = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    const loaded = loadCalendar(file);
    problems.push(...loaded.problems);
    if (!loaded.calendar) continue;
    const other = ids.get(loaded.calendar.id);
    if (other) {
      problems.push(
        new CalendarSyntaxError(
          { file: loaded.calendar.source.file, line: 1, col: 1, field: 'id' },
          `calendar id "${loaded.calendar.id}" is also used by ${other}; give each calendar its own id`,
        ),
      );
      continue;
    }
    ids.set(loaded.calendar.id, loaded.calendar.source.file);
    calendars.push(loaded.calendar);
  }

  let blockedTerms: string[] = [];
  if (options.blockedTermsFile) {
    try {
      blockedTerms = parseBlockedTermsFile(readFileSync(options.blockedTermsFile, 'utf8'));
    } catch {
      const at: Position = {
        file: displayPath(options.blockedTermsFile),
        line: 1,
        col: 1,
        field: 'compliance.blockedTermsFile',
      };
      problems.push(
        new CalendarSyntaxError(
          at,
          `blocked-terms file cannot be read; fix compliance.blockedTermsFile (REELCAST_BLOCKED_TERMS_FILE) or create the file`,
        ),
      );
    }
  }
  return {
    calendars,
    templates,
    blockedTerms,
    problems,
    isAccountConnected: options.isAccountConnected,
    checkModel: options.checkModel,
  };
}

/** Plans a workspace over a range; reading problems come first, then the plan's own. */
export function planWorkspace(ws: Workspace, from: string, to: string): Plan {
  const plan = planPosts({
    calendars: ws.calendars,
    templates: ws.templates,
    from,
    to,
    blockedTerms: ws.blockedTerms,
    isAccountConnected: ws.isAccountConnected,
    checkModel: ws.checkModel,
  });
  return { ...plan, problems: sortProblems([...ws.problems, ...plan.problems]) };
}

export function sortProblems(problems: CalendarError[]): CalendarError[] {
  return [...problems].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col,
  );
}

/** The default validation horizon: from a date through the next 366 days (a leap year's worth). */
export function horizonFrom(date: string, days = 366): { from: string; to: string } {
  return { from: date, to: dateOf(dayNumber(date) + days) };
}
