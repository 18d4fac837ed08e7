/**
 * Where each kind of object lives in storage (the same keys on local files and in S3).
 *
 *   masters/<hash>.mkv                      the generated clip, as the model made it
 *   renditions/<hash>/<name>.mp4            one 9:16 encode of that master; <name> is
 *                                           <preset>-<fit>-<options digest>, e.g. reels-blur-1a2b…
 *   renditions/<hash>/<name>.poster.jpg     a still frame of that rendition
 *   renditions/<hash>/<name>.preview.webp   a short animated preview a person opens to review
 *   ledger/<postId>/<channel>.json          publish ledger: claimed, then published with the remote id
 *   ledger/<postId>/<channel>.failure.json  the last terminal publish failure, for failures/replay
 *   outbox/<postId>/<channel>/…             what the outbox channel "published"
 *   probes/<queue>.json                     the worker self-check
 *   tokens/<platform>/<account>.json        a connected account's tokens (secrets encrypted when
 *                                           channels.tokens.key is set)
 *   tokens/<platform>/<account>.lock        held by the one worker refreshing those tokens
 *   tokens/<platform>/<account>.takeover/<id>  marks who took over a stale lock (one winner)
 *   account-posts/<platform>/<account>/last.json              the account's last successful post
 *   account-posts/<platform>/<account>/<yyyy-mm-dd>/<at>-<n>  one marker per post that UTC day
 *   notifications/<postId>/<event>/<medium>.json  a notification sent (once per post, event and
 *                                           medium: email or webhook)
 *   safety/<hash>/<classifier>.json         the content gate's scores of that master's sampled frames
 *   safety/<hash>/<classifier>/frame-<n>.jpg  each sampled frame, for a person to look at
 *   plans/<yyyy-mm-dd>/<planRunId>/page-<n>.json  one page of a daily plan's post specs (what the
 *                                           plan starts; only keys cross the workflow's boundary)
 *   plans/<yyyy-mm-dd>/<planRunId>/planned.json   the workflow ids every calendar plans that day
 *
 * `<hash>` is the content hash of what made the clip (prompt + seed + model + params), so a retry
 * or a replay finds the clip instead of running the GPU again. `<postId>` is
 * `<campaign>/<yyyy-mm-dd>/<slot>`, so one post's ledger entries list under one prefix.
 */
import { checkKey, InvalidKeyError } from './storage';

const HASH = /^[0-9a-f]{16,128}$/;
const NAME = /^[a-z0-9][a-z0-9_-]*$/;

export const PREFIXES = {
  masters: 'masters/',
  renditions: 'renditions/',
  ledger: 'ledger/',
  outbox: 'outbox/',
  tokens: 'tokens/',
  accountPosts: 'account-posts/',
  notifications: 'notifications/',
  safety: 'safety/',
  plans: 'plans/',
} as const;

export function masterKey(hash: string): string {
  return `${PREFIXES.masters}${checkHash(hash)}.mkv`;
}

/**
 * A rendition of a master; `master` is the master's name (its hash, see masterName) and `name`
 * says what the rendition is (preset, fit, options digest).
 */
export function renditionKey(master: string, name: string): string {
  return `${renditionDir(master)}/${checkName(name, 'rendition name')}.mp4`;
}

/** The poster frame beside a rendition. */
export function posterKey(master: string, name: string): string {
  return `${renditionDir(master)}/${checkName(name, 'rendition name')}.poster.jpg`;
}

/** The animated preview beside a rendition. */
export function previewKey(master: string, name: string): string {
  return `${renditionDir(master)}/${checkName(name, 'rendition name')}.preview.webp`;
}

/** `masters/<hash>.mkv` → `<hash>`: a master's renditions sit together under its name. */
export function masterName(masterKey: string): string {
  const last = masterKey.split('/').pop() ?? masterKey;
  return last.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]/g, '_') || 'master';
}

function renditionDir(master: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(master))
    throw new InvalidKeyError(`${master} (a master name: letters, digits, _ and -)`);
  return `${PREFIXES.renditions}${master}`;
}

export function ledgerKey(postId: string, channel: string): string {
  return checkKey(`${PREFIXES.ledger}${postId}/${checkName(channel, 'channel')}.json`);
}

export function ledgerFailureKey(postId: string, channel: string): string {
  return checkKey(`${PREFIXES.ledger}${postId}/${checkName(channel, 'channel')}.failure.json`);
}

export function notificationKey(postId: string, event: string, medium: string): string {
  return checkKey(
    `${PREFIXES.notifications}${postId}/${checkName(event, 'event')}/${checkName(medium, 'medium')}.json`,
  );
}

/** The inverse of ledgerKey / ledgerFailureKey, for listing; undefined for other keys. */
export function parseLedgerKey(
  key: string,
): { postId: string; channel: string; kind: 'entry' | 'failure' } | undefined {
  const m = /^ledger\/(.+)\/([a-z0-9][a-z0-9_-]*)(\.failure)?\.json$/.exec(key);
  if (!m) return undefined;
  return { postId: m[1], channel: m[2], kind: m[3] ? 'failure' : 'entry' };
}

/** The files of one outbox delivery: the caption, the video bytes, and the metadata JSON. */
export function outboxKeys(
  postId: string,
  channel: string,
): { caption: string; video: string; post: string } {
  const dir = checkKey(`${postId}/${checkName(channel, 'channel')}`);
  return { caption: `${dir}/caption.txt`, video: `${dir}/video.mp4`, post: `${dir}/post.json` };
}

function checkHash(hash: string): string {
  if (!HASH.test(hash))
    throw new InvalidKeyError(`${hash} (content hash: expected 16-128 lowercase hex digits)`);
  return hash;
}

function checkName(name: string, what: string): string {
  if (!NAME.test(name))
    throw new InvalidKeyError(`${name} (${what}: expected lowercase letters, digits, - or _)`);
  return name;
}

const ACCOUNT_PART = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function accountPath(platform: string, account: string): string {
  checkName(platform, 'platform');
  if (!ACCOUNT_PART.test(account))
    throw new InvalidKeyError(`${account} (account: expected letters, digits, - or _)`);
  return `${platform}/${account}`;
}

/** A connected account's tokens, their refresh lock, and the takeover marker of a stale lock. */
export function tokenKeys(
  platform: string,
  account: string,
): { tokens: string; lock: string; takeover: (staleOwner: string) => string } {
  const base = `${PREFIXES.tokens}${accountPath(platform, account)}`;
  return {
    tokens: `${base}.json`,
    lock: `${base}.lock`,
    takeover: (staleOwner) => checkKey(`${base}.takeover/${checkName(staleOwner, 'lock owner')}`),
  };
}

/** The inverse of tokenKeys().tokens, for listing; undefined for other keys. */
export function parseTokenKey(key: string): { platform: string; account: string } | undefined {
  const m = /^tokens\/([a-z0-9][a-z0-9_-]*)\/([A-Za-z0-9][A-Za-z0-9_-]*)\.json$/.exec(key);
  return m ? { platform: m[1], account: m[2] } : undefined;
}

/** Where an account's post markers live: `last`, and one folder per UTC day. */
export function accountPostKeys(
  platform: string,
  account: string,
): { last: string; day: (yyyyMmDd: string) => string } {
  const base = `${PREFIXES.accountPosts}${accountPath(platform, account)}`;
  return {
    last: `${base}/last.json`,
    day: (day) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new InvalidKeyError(`${day} (day: expected yyyy-mm-dd)`);
      return `${base}/${day}/`;
    },
  };
}

/**
 * The content gate's stored check of a master (activities/safety): `safety/<master name>/<classifier>.json`,
 * and the sampled frames as JPEGs beside it, `safety/<master name>/<classifier>/frame-<n>.jpg`.
 * `<classifier>` names the classifier, its version and the sampling, so a new classifier checks
 * again while the same one reuses the result.
 */
export function safetyKeys(
  masterKey: string,
  classifier: string,
): { result: string; frame: (index: number) => string } {
  const base = `${PREFIXES.safety}${masterName(masterKey)}/${checkName(classifier, 'classifier')}`;
  return {
    result: checkKey(`${base}.json`),
    frame: (index) => checkKey(`${base}/frame-${String(Math.floor(index)).padStart(4, '0')}.jpg`),
  };
}

/** One daily plan's pages of post specs and its list of planned workflow ids, by plan run. */
export function planKeys(date: string, planRunId: string): { page: (n: number) => string; planned: string } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new InvalidKeyError(`${date} (date: expected yyyy-mm-dd)`);
  const base = `${PREFIXES.plans}${date}/${checkName(planRunId, 'plan run id')}`;
  return {
    page: (n) => `${base}/page-${String(n).padStart(4, '0')}.json`,
    planned: `${base}/planned.json`,
  };
}
