/**
 * Prompt lint, after the text-to-video model's own advice (Wan2.2: subject + action/motion +
 * scene + style/camera). A heuristic over English, Chinese and Japanese keywords: it warns, it
 * never blocks, so a false alarm costs a glance and a miss costs nothing more than today.
 */

const CJK = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/g;
const LATIN_WORD = /[\p{Script=Latin}\p{N}]+(?:['-][\p{Script=Latin}]+)*/gu;

const STYLE = [
  /\b(style|styled|cinematic|anime|cartoon|watercolou?r|ink|pixel|8-bit|realistic|photo-?real\w*|3d|render|illustration|painting|lighting|light|lit|glow\w*|lens|shot|close-?up|aerial|bokeh|film|gradient|neon|pastel|vintage|retro|minimal\w*|aesthetic|palette|colou?rs?|tones?|feel|mood|slow[- ]motion|tracking|dolly|macro|depth of field|4k|hdr)\b/i,
  /(风|風|画风|镜头|光|色调|质感|水墨|像素|电影|动漫|唯美|梦幻|氛围|スタイル|アニメ|映像|雰囲気|カメラ|レンズ|ドット絵)/,
];
// -ing words that are not motion ("cinematic lighting", "morning sun").
const NOT_ACTION =
  /\b(lighting|morning|evening|building|ceiling|clothing|painting|spring|string|thing|nothing|something|everything|anything|king|ring|wing|wedding|packaging|grading|setting|feeling|ending|rendering|bring|ping|sibling|pudding|dumpling|awning|railing|stuffing|icing|frosting)\b/gi;

const ACTION = [
  /\b\w{3,}ing\b/i,
  /\b(pops?|opens?|rotates?|spins?|turns?|flies|fly|falls?|walks?|runs?|dances?|moves?|floats?|drifts?|zooms?|pans?|rises?|glows?|blooms?|sways?|bursts?|jumps?|pours?|swirls?|flows?|waves?|slides?|unfolds?|lights? up|scatters?|sparkles?)\b/i,
  /(飘|落|洒|跑|飞|转|旋|打开|升|舞|流|闪|走|游|摇|奔|绽放|弹出|散落|飛|走る|舞う|回る|流れ|咲く|揺れ|跳|降る|駆け)/,
];
const SCENE = [
  /\b(background|backdrop|forest|street|city|sky|room|studio|beach|mountains?|garden|kitchen|table|field|night|sunset|sunrise|afternoon|morning|evening|indoors?|outdoors?|scene|landscape|ocean|sea|river|lake|snow|stage|screen|park|desk|market|lantern|temple|window|rooftop|space|under|through|across|above|over|in an? |in the|on an? |on the)\b/i,
  /(背景|屏幕|林|街|城|天空|房间|山|海|夜|场景|画面|庭|院|月|森|空|公園|午後|桜|湖|川|部屋|舞台|中)/,
];
const ABSTRACT = [
  /\b(make|create|generate|produce)\s+(a|an|me|some|the)\b/i,
  /\b(cool|awesome|nice|amazing|epic|great|good|beautiful|interesting|viral|engaging)\s+(video|clip|thing|stuff|content|reel)\b/i,
  /\bsomething\b/i,
  /(做一个|生成一个|来一个|酷炫的视频|好看的视频|高大上的视频|かっこいい動画)/,
];

/** Rough size of a prompt in words: a CJK character counts as half a word. */
export function promptWords(prompt: string): number {
  const cjk = prompt.match(CJK)?.length ?? 0;
  const latin = prompt.replace(CJK, ' ').match(LATIN_WORD)?.length ?? 0;
  return latin + cjk / 2;
}

export const MIN_PROMPT_WORDS = 8;

/** Warnings a person should read before the GPU spends minutes on the prompt. */
export function lintPrompt(prompt: string): string[] {
  const warnings: string[] = [];
  const words = promptWords(prompt);
  if (words < MIN_PROMPT_WORDS) {
    warnings.push(
      `prompt is short (about ${Math.round(words)} words); the model does best with 8 to 80 words naming a subject, an action, a scene and a style`,
    );
  }
  if (ABSTRACT.some((r) => r.test(prompt))) {
    warnings.push(
      'prompt reads like an instruction or is abstract ("make a cool video"); describe what is seen: who or what, doing what, where, in what style',
    );
  }
  const missing: string[] = [];
  const firstClause = prompt.split(/[,，、。.;；]/)[0];
  if (promptWords(firstClause) < 1.5) missing.push('a subject (who or what is on screen, first)');
  if (!ACTION.some((r) => r.test(prompt.replace(NOT_ACTION, ''))))
    missing.push('an action (what moves: "rotates", "falls", "running")');
  if (!SCENE.some((r) => r.test(prompt)))
    missing.push('a scene (where: "sakura forest", "gradient background")');
  if (!STYLE.some((r) => r.test(prompt)))
    missing.push('a style (how it looks: "anime style", "cinematic lighting", "ink wash")');
  if (missing.length > 0) warnings.push(`prompt lacks ${missing.join(', ')}`);
  return warnings;
}
