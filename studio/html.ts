/**
 * HTML that cannot run what it shows. Every value interpolated into `html\`…\`` is escaped unless
 * it is itself the result of `html` (or `raw`, for the few fixed strings the code writes): a
 * caption `<img src=x onerror=alert(1)>` is shown as text. Attribute values must be quoted in
 * the template (`href="${url}"`); quotes are escaped too.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

type Value = Html | string | number | boolean | null | undefined | Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Trusted markup written by this code (never data). */
export function raw(text: string): Html {
  return new Html(text);
}

/**
 * A URL for an href or src: only http(s) and relative ones. A platform answer's link such as
 * `javascript:alert(1)` becomes `#`.
 */
export function safeUrl(url: string | undefined): string {
  if (!url) return '#';
  return /^(https?:\/\/|\/(?!\/))/i.test(url.trim()) ? url.trim() : '#';
}

/** JSON for a `<script type="application/json">` block: `<` escaped so `</script>` cannot end it. */
export function jsonForScript(value: unknown): Html {
  return raw(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/\u2028|\u2029/g, ' '),
  );
}
