import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../config';
import { modelChecker, runValidate } from '../../../cli/commands/validate';
import { calendarYaml, campaignYaml, makeFixture, type Fixture } from './workspace-fixture';

/**
 * A campaign names its own model directory (`video.model`: a brand style exported with a LoRA
 * merged in). The post carries it to the GPU worker; `reelcast validate` checks that it exists
 * and meets the model contract, with the calendar line that names it.
 */

const TINY = join(__dirname, '../../fixtures/wan-tiny/model');
let models: string;

beforeAll(() => {
  models = mkdtempSync(join(tmpdir(), 'reelcast-video-model-'));
  cpSync(TINY, join(models, 'base'), { recursive: true });
  cpSync(TINY, join(models, 'ink-wash'), { recursive: true });
  cpSync(TINY, join(models, 'broken'), { recursive: true });
  rmSync(join(models, 'broken', 'vae_decoder.onnx'));
});
afterAll(() => rmSync(models, { recursive: true, force: true }));

const when = '      - dates: [2027-04-01]';

function validate(f: Fixture): { code: number; out: string[] } {
  const config = loadConfig({ env: { REELCAST_MODEL_DIR: join(models, 'base') } });
  const out: string[] = [];
  const code = runValidate(
    [f.calendarsDir],
    {
      calendarsDir: f.calendarsDir,
      templatesDir: f.templatesDir,
      from: '2027-04-01',
      to: '2027-04-01',
      checkModel: modelChecker(config),
    },
    { out: (l) => out.push(l), err: () => undefined },
  );
  return { code, out };
}

/** A calendar whose campaign names `model`, and the line `model:` is on. */
function styled(model: string): { f: Fixture; line: number } {
  const yaml = calendarYaml(campaignYaml('promo', when, `    video:\n      model: ${model}`));
  const line = yaml.split('\n').findIndex((l) => l.includes(`model: ${model}`)) + 1;
  return { f: makeFixture({ 'test.yaml': yaml }), line };
}

describe('video.model in a calendar', () => {
  test('a campaign with its own model directory plans posts that name it; others have none', () => {
    const f = makeFixture({
      'test.yaml': calendarYaml(
        [campaignYaml('styled', when, '    video:\n      model: ink-wash'), campaignYaml('plain', when)].join(
          '\n',
        ),
      ),
    });
    const plan = f.plan('2027-04-01', '2027-04-01');
    expect(plan.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const byCampaign = Object.fromEntries(plan.posts.map((p) => [p.campaign, p.video.model]));
    expect(byCampaign).toEqual({ styled: 'ink-wash', plain: undefined });
  });

  test('defaults.video.model applies to every campaign', () => {
    const f = makeFixture({
      'test.yaml': calendarYaml(campaignYaml('promo', when)).replace(
        'defaults:\n',
        'defaults:\n  video:\n    model: ink-wash\n',
      ),
    });
    expect(f.plan('2027-04-01', '2027-04-01').posts.map((p) => p.video.model)).toEqual(['ink-wash']);
  });

  test('validate accepts a model directory next to model.dir that meets the contract', () => {
    expect(validate(styled('ink-wash').f)).toEqual({ code: 0, out: [] });
  });

  test('validate reports a missing model directory at the line of video.model', () => {
    const { f, line } = styled('pixel-art');
    const { code, out } = validate(f);
    expect(code).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain(
      `${f.shown('calendars/test.yaml')}:${line}:14: campaign "promo" uses model "pixel-art": model directory not found: ${join(models, 'pixel-art')}`,
    );
    expect(out[0]).toContain(
      `reelcast model export --from <checkpoint> --lora <file> --out ${join(models, 'pixel-art')}`,
    );
  });

  test('validate reports a model directory that lacks a graph its manifest names', () => {
    const { code, out } = validate(styled('broken').f);
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(
      /uses model "broken": vaeDecoder graph \(fp32\) not found: .*broken\/vae_decoder\.onnx/,
    );
  });

  test('a model that is not a name is a schema error at its line', () => {
    const { f, line } = styled('12');
    const { code, out } = validate(f);
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(new RegExp(`test\\.yaml:${line}:\\d+: .*model`));
  });
});
