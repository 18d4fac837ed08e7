import type { CalendarProblem } from './types';

/** Where in which file: 1-based line and column, and the field (dotted path or variable). */
export interface Position {
  file: string;
  line: number;
  col: number;
  field: string;
}

/**
 * Base of every calendar and template error. `name` is stable (workflows and tests match on it);
 * the message says what is wrong and what to do, and `file:line:col` says where.
 */
export abstract class CalendarError extends Error {
  abstract override readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly field: string;

  constructor(where: Position, problem: string) {
    super(problem);
    this.file = where.file;
    this.line = where.line;
    this.col = where.col;
    this.field = where.field;
  }

  /** `file:line:col: message`, the form editors and CI logs turn into links. */
  get located(): string {
    return `${this.file}:${this.line}:${this.col}: ${this.message}`;
  }

  /** Warnings are shown but do not stop a plan; everything else does. */
  get severity(): CalendarProblem['severity'] {
    return 'error';
  }

  toProblem(): CalendarProblem {
    return {
      severity: this.severity,
      name: this.name,
      file: this.file,
      line: this.line,
      col: this.col,
      field: this.field,
      message: this.message,
    };
  }
}

/** The file is not valid YAML (or cannot be read, or an `include:` cannot be followed). */
export class CalendarSyntaxError extends CalendarError {
  override readonly name = 'CalendarSyntaxError';
}

/** A field is missing, unknown or of the wrong shape (the JSON Schema in calendars/). */
export class CalendarSchemaError extends CalendarError {
  override readonly name = 'CalendarSchemaError';
}

/** A value has the right shape but cannot be used: unknown zone, invalid date, bad RRULE... */
export class CalendarValueError extends CalendarError {
  override readonly name = 'CalendarValueError';
}

/** `holiday:` names a holiday the calendar's country does not have. */
export class UnknownHolidayError extends CalendarError {
  override readonly name = 'UnknownHolidayError';
}

/** The campaign's `template:` (or `style:`) names no folder (or partial) in templatesDir. */
export class UnknownTemplateError extends CalendarError {
  override readonly name = 'UnknownTemplateError';
}

/** A template does not parse. */
export class TemplateSyntaxError extends CalendarError {
  override readonly name = 'TemplateSyntaxError';
}

/** A template uses a variable (or helper) the campaign does not define. */
export class UnknownVariableError extends CalendarError {
  override readonly name = 'UnknownVariableError';
}

/** A slot's wall time falls in a daylight-saving gap on some planned date. */
export class NonexistentLocalTimeError extends CalendarError {
  override readonly name = 'NonexistentLocalTimeError';
}

/** A caption or title is over the channel's limit (X: 280 weighted characters; see the channel table). */
export class CaptionTooLongError extends CalendarError {
  override readonly name = 'CaptionTooLongError';
}

/** A caption or title breaks another channel rule: characters refused, too many hashtags or mentions. */
export class CaptionRuleError extends CalendarError {
  override readonly name = 'CaptionRuleError';
}

/**
 * The calendar names an account nobody connected. Only reported when the plan is given a way to
 * ask (PlanInput.isAccountConnected: the token store's list).
 */
export class UnknownAccountError extends CalendarError {
  override readonly name = 'UnknownAccountError';
}

/** A rendered prompt or caption contains a term on the compliance list. */
export class BlockedTermError extends CalendarError {
  override readonly name = 'BlockedTermError';
}

/** Prompt lint: the rendered prompt is too short, abstract, or lacks subject/action/scene/style. */
export class PromptLintWarning extends CalendarError {
  override readonly name = 'PromptLintWarning';
  override get severity(): CalendarProblem['severity'] {
    return 'warning';
  }
}

/** Two campaigns with the same priority claim the same slot and channel. */
export class SlotOverlapWarning extends CalendarError {
  override readonly name = 'SlotOverlapWarning';
  override get severity(): CalendarProblem['severity'] {
    return 'warning';
  }
}

/**
 * Thrown by the plan activities when calendars have errors: nothing is planned, so nothing
 * half-planned is published. Non-retryable: a person must fix the calendar.
 */
export class CalendarInvalidError extends Error {
  override readonly name = 'CalendarInvalidError';
  constructor(readonly problems: CalendarProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    const shown = errors.slice(0, 5).map((p) => `  ${p.file}:${p.line}:${p.col}: ${p.message}`);
    const more = errors.length > 5 ? `\n  …and ${errors.length - 5} more (run \`reelcast validate\`)` : '';
    super(
      `${errors.length} problem(s) in the calendars; fix them and plan again:\n${shown.join('\n')}${more}`,
    );
  }
}

/** Error names a workflow should treat as non-retryable (retrying cannot fix a calendar). */
export const NON_RETRYABLE_CALENDAR_ERRORS = ['CalendarInvalidError'] as const;

/**
 * A campaign's `video.model` names a model directory that is missing or does not meet the model
 * contract. Only reported when the plan is given a way to check (PlanInput.checkModel: validate).
 */
export class UnknownModelError extends CalendarError {
  override readonly name = 'UnknownModelError';
}
