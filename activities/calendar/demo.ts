import { demoPostId } from './post-id';
import type { PostSpec, VideoParams } from './types';

/**
 * A day made quick for a demo or a bench: publish times compressed to start at `firstPublishAt`,
 * `spacingSeconds` apart, approval off, and post ids tagged (`…/<slot>-demo<tag>`) so the demo
 * can run again. Pure: dailyPlan's workflow code and the plan activity both use it.
 */
export interface DemoDay {
  firstPublishAt: string;
  spacingSeconds: number;
  limit?: number;
  tag: string;
  /** Smaller clips, so the demo model makes them in seconds on a CPU. */
  video?: Pick<VideoParams, 'frames' | 'width' | 'height' | 'steps'>;
}

export function compressForDemo(specs: PostSpec[], demo: DemoDay): PostSpec[] {
  const first = Date.parse(demo.firstPublishAt);
  return specs.slice(0, demo.limit ?? specs.length).map((spec, i) => {
    const publishAt = new Date(first + i * demo.spacingSeconds * 1000).toISOString();
    const deadline = new Date(
      Date.parse(publishAt) - spec.approval.deadlineMinutesBefore * 60_000,
    ).toISOString();
    return {
      ...spec,
      postId: demoPostId(spec.postId, demo.tag),
      publishAt,
      video: { ...spec.video, ...demo.video },
      approval: { ...spec.approval, required: false, deadlineAt: deadline },
    };
  });
}
