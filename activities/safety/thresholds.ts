/**
 * The content gate's rule, pure: the classifier's classes, the default thresholds, and the
 * verdict over a stored result. A threshold is a probability in [0, 1]: a clip is held when any
 * sampled frame's probability for a class reaches that class's threshold; 1 switches a class off.
 *
 * Why these defaults (nsfwjs' five classes):
 * - porn 0.5, hentai 0.5: what no brand posts. At 0.5 the class is at least as likely as all the
 *   others together, so a clip is held when the model's best guess for a frame is explicit; a
 *   lower value holds harmless clips with skin-coloured gradients, which the tiny MobileNetV2 sees
 *   more often than a person would.
 * - sexy 0.8: swimwear, fitness and beauty campaigns are everyday marketing and score "sexy" in
 *   the 0.3–0.7 range; only a confident score is worth a person's look.
 * - drawing 1, neutral 1 (off): illustrated styles (ink-wash, pixel-art) are Drawing and are fine.
 * A calendar or campaign sets its own with `safety:` (a threshold of 0 holds every clip).
 */

export const SAFETY_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type SafetyClass = (typeof SAFETY_CLASSES)[number];

/** Per class, as the calendar writes it (lowercase keys). */
export type SafetyThresholds = Record<Lowercase<SafetyClass>, number>;

export const DEFAULT_SAFETY_THRESHOLDS: Readonly<SafetyThresholds> = Object.freeze({
  drawing: 1,
  hentai: 0.5,
  neutral: 1,
  porn: 0.5,
  sexy: 0.8,
});

/** The calendar's `safety:` over the defaults, then the campaign's over that, class by class. */
export function resolveThresholds(...layers: Array<Partial<SafetyThresholds> | undefined>): SafetyThresholds {
  return Object.assign({}, DEFAULT_SAFETY_THRESHOLDS, ...layers.filter(Boolean)) as SafetyThresholds;
}

/** One sampled frame's probabilities, as the stored result keeps them. */
export interface FrameScores {
  /** Frame number in the master (0-based, decode order). */
  index: number;
  atSeconds: number;
  /** True for the frame the renditions use as their poster. */
  poster: boolean;
  /** The frame as a JPEG in storage, for a person to look at. */
  frameKey: string;
  scores: Record<SafetyClass, number>;
}

/** The frame and class that held a clip: the highest score over its threshold. */
export interface SafetyTrip {
  className: SafetyClass;
  score: number;
  threshold: number;
  frame: number;
  atSeconds: number;
  frameKey: string;
}

export function tripOf(frames: FrameScores[], thresholds: SafetyThresholds): SafetyTrip | undefined {
  let worst: SafetyTrip | undefined;
  for (const f of frames) {
    for (const className of SAFETY_CLASSES) {
      const threshold = thresholds[lower(className)];
      const score = f.scores[className] ?? 0;
      if (threshold >= 1 || score < threshold) continue;
      // The frame that is furthest over its threshold is the one a person should see.
      if (!worst || score - threshold > worst.score - worst.threshold)
        worst = { className, score, threshold, frame: f.index, atSeconds: f.atSeconds, frameKey: f.frameKey };
    }
  }
  return worst;
}

/** The highest score of each class over all sampled frames. */
export function peakScores(frames: FrameScores[]): Record<SafetyClass, number> {
  const peak = Object.fromEntries(SAFETY_CLASSES.map((c) => [c, 0])) as Record<SafetyClass, number>;
  for (const f of frames) for (const c of SAFETY_CLASSES) peak[c] = Math.max(peak[c], f.scores[c] ?? 0);
  return peak;
}

/** The line `status`, `failures`, Studio and the notification show for a held post. */
export function heldReason(trip: SafetyTrip): string {
  return (
    `held by the content gate: ${trip.className} ${trip.score.toFixed(2)} reached its threshold ` +
    `${trip.threshold} at ${trip.atSeconds.toFixed(2)} s (frame ${trip.frameKey}); ` +
    'release it with `reelcast approve <postId> --override-safety` or reject it'
  );
}

export function lower(c: SafetyClass): Lowercase<SafetyClass> {
  return c.toLowerCase() as Lowercase<SafetyClass>;
}
