import {
  countOf,
  failureMessage,
  formatCount,
  formatDuration,
  imagePath,
  keyFromFragment,
  lagView,
  latencyRows,
  minuteSeries,
  nextState,
  pollDelay,
  shares,
  type Outcome,
  type ViewState,
} from '../shared/dashboard-model';
import type { LatestTweet, Stats } from '@pipeline/schemas';
import { Charts } from './charts';
import { LocationMap } from './map';

/** Every URL is relative to the page (`.../api/dashboard/`), so the page works under any path prefix. */
const STATS_URL = '../stats?latest=12';
const MAP_URL = 'map.json';
const KEY_STORAGE = 'pipeline-dashboard-key';
const REQUEST_TIMEOUT_MS = 10_000;

const $ = <T extends Element = HTMLElement>(selector: string): T => {
  const element = document.querySelector<T>(selector);
  if (!element) throw new Error(`dashboard markup is missing ${selector}`);
  return element;
};

function setText(stat: string, text: string): void {
  for (const element of document.querySelectorAll(`[data-stat="${stat}"]`)) element.textContent = text;
}

/**
 * The function key: taken from the URL fragment (then removed from the address bar, so it does not end
 * up in screenshots or shared links) and kept for this tab only.
 */
function initialKey(): string | undefined {
  const fromFragment = keyFromFragment(location.hash);
  if (fromFragment) {
    sessionStorage.setItem(KEY_STORAGE, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
    return fromFragment;
  }
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

let key = initialKey();
let state: ViewState = { kind: 'loading' };
const charts = new Charts($<HTMLCanvasElement>('#per-minute'), $<HTMLCanvasElement>('#labels'));
const map = new LocationMap($<SVGSVGElement>('#map'));
const mapReady = map.load(MAP_URL).catch((error: unknown) => {
  // The outline is decoration; the points still show without it.
  console.warn(`the map outline did not load: ${String(error)}`);
});
const thumbnails = new Map<string, Promise<string | undefined>>();
const MAX_THUMBNAILS = 200;

function authHeaders(): HeadersInit {
  return key ? { 'x-functions-key': key } : {};
}

async function fetchStats(): Promise<Outcome> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(STATS_URL, {
      headers: authHeaders(),
      cache: 'no-store',
      signal: abort.signal,
    });
    const body = await response.text();
    if (!response.ok)
      return {
        ok: false,
        status: response.status,
        message: failureMessage(response.status, body),
        at: Date.now(),
      };
    return { ok: true, stats: JSON.parse(body) as Stats, at: Date.now() };
  } catch {
    return { ok: false, status: null, message: failureMessage(null, ''), at: Date.now() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Thumbnails are fetched with the key header (an <img src> cannot send one) and shown from object URLs.
 * Images are content-addressed, so each is fetched once per page and then served from the HTTP cache.
 */
function thumbnail(blob: string): Promise<string | undefined> {
  let pending = thumbnails.get(blob);
  if (!pending) {
    const path = imagePath(blob);
    pending = path
      ? fetch(path, { headers: authHeaders() })
          .then(async (r) => (r.ok ? URL.createObjectURL(await r.blob()) : undefined))
          .catch(() => undefined)
      : Promise.resolve(undefined);
    thumbnails.set(blob, pending);
    if (thumbnails.size > MAX_THUMBNAILS) {
      const [oldest, url] = thumbnails.entries().next().value as [string, Promise<string | undefined>];
      thumbnails.delete(oldest);
      void url.then((u) => u && URL.revokeObjectURL(u));
    }
  }
  return pending;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

function renderTweet(tweet: LatestTweet): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'tweet';
  item.dataset.id = tweet.id;
  if (tweet.image) {
    const image = document.createElement('img');
    image.className = 'thumb';
    image.width = 64;
    image.height = 64;
    image.alt = `Satellite image at ${tweet.image.latitude.toFixed(4)}° N, ${Math.abs(tweet.image.longitude).toFixed(4)}° W, labelled ${tweet.image.label === 'damage' ? 'damage' : 'no damage'}`;
    image.dataset.blob = tweet.image.blob;
    void thumbnail(tweet.image.blob).then((url) => {
      if (url) image.src = url;
      else image.dataset.failed = 'true';
    });
    item.append(image);
  } else {
    const none = document.createElement('div');
    none.className = 'thumb no-image';
    none.textContent = 'no image';
    item.append(none);
  }
  const body = document.createElement('div');
  const text = document.createElement('p');
  text.textContent = tweet.text;
  const meta = document.createElement('p');
  meta.className = 'meta';
  meta.textContent = `${dateFormat.format(new Date(tweet.createdAt))} UTC · ${countOf(tweet.retweets, 'retweet')} · ${countOf(tweet.replies, 'reply', 'replies')} · ${countOf(tweet.likes, 'like')}`;
  if (tweet.image) {
    const tag = document.createElement('span');
    tag.className = `tag ${tweet.image.label}`;
    tag.textContent = tweet.image.label === 'damage' ? 'damage' : 'no damage';
    meta.prepend(tag, ' ');
  }
  body.append(text, meta);
  item.append(body);
  return item;
}

function renderStats(stats: Stats): void {
  const { totals } = stats;
  setText('stored', formatCount(totals.stored));
  setText('without-image', `${formatCount(totals.withoutImage)} without an image`);
  setText('accepted', formatCount(stats.accepted));
  setText('dead-letters', formatCount(stats.deadLetters));

  const series = minuteSeries(stats.perMinute);
  setText('rate', formatCount(series.lastFullMinute));
  setText(
    'rate-detail',
    `Last full minute · peak ${formatCount(series.peak)} · ${formatCount(series.total)} this hour`,
  );

  const lag = lagView(stats.consumerLag);
  setText('lag', lag.value);
  setText('lag-detail', lag.detail);
  $('[data-stat="lag"]').dataset.tone = lag.tone;

  setText('latency-p95', formatDuration(stats.latency.hubToStoreMs.p95));
  setText(
    'latency-window',
    `Over the ${formatCount(stats.latency.window)} most recently stored events. Hub: from Event Hubs accepting the event; API: from the ingest API's 202.`,
  );
  $('#latency').replaceChildren(
    ...latencyRows(stats.latency).map((row, i) => {
      const tr = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = row.name;
      tr.append(name);
      for (const column of ['p50', 'p95', 'p99', 'max'] as const) {
        const td = document.createElement('td');
        td.textContent = row[column];
        td.dataset.latency = `${i === 0 ? 'hub' : 'ingest'}-${column}`;
        if (column === 'max') td.className = 'col-max';
        tr.append(td);
      }
      return tr;
    }),
  );

  setText('damage', formatCount(totals.damage));
  setText('no-damage', formatCount(totals.noDamage));
  const share = shares(totals.damage, totals.noDamage);
  setText('damage-share', share ? `(${share.a} %)` : '');
  setText('no-damage-share', share ? `(${share.b} %)` : '');
  charts.update(series, totals.damage, totals.noDamage);
  $('#per-minute').setAttribute(
    'aria-label',
    `Bar chart of events stored per minute over the last hour: ${formatCount(series.total)} in total, peak ${formatCount(series.peak)} per minute, ${formatCount(series.lastFullMinute)} in the last full minute.`,
  );
  $('#labels').setAttribute(
    'aria-label',
    share
      ? `Doughnut chart: ${formatCount(totals.damage)} images labelled damage (${share.a} %), ${formatCount(totals.noDamage)} no damage (${share.b} %).`
      : 'Doughnut chart: no labelled images yet.',
  );

  const points = stats.map.points;
  setText(
    'map-detail',
    `${formatCount(points.length)} distinct locations among the ${formatCount(stats.map.window)} newest images${stats.map.capped ? ' (older ones not shown)' : ''}; each dot colored by its latest label.`,
  );
  void mapReady.then(() => map.draw(points));

  const list = $('#latest');
  const ids = stats.latest.map((t) => t.id).join(',');
  if (list.dataset.ids !== ids) {
    list.dataset.ids = ids;
    list.replaceChildren(...stats.latest.map(renderTweet));
  }
  $('#generated').textContent =
    `Data generated ${timeFormat.format(new Date(stats.generatedAt))} · refreshes every 2 s`;
}

function render(): void {
  const body = document.body;
  const keyPanel = $('#key-panel');
  const banner = $('#error-banner');
  const empty = $('#empty-state');
  const status = $('#status');
  keyPanel.hidden = state.kind !== 'unauthorized';
  banner.hidden = state.kind !== 'error';
  empty.hidden = state.kind !== 'empty';
  switch (state.kind) {
    case 'loading':
      body.dataset.state = 'loading';
      status.textContent = 'Connecting…';
      status.dataset.tone = 'unknown';
      return;
    case 'unauthorized':
      body.dataset.state = 'unauthorized';
      status.textContent = 'Key needed';
      status.dataset.tone = 'warn';
      return;
    case 'empty':
    case 'ready':
      body.dataset.state = state.kind;
      renderStats(state.stats);
      status.textContent = `${state.kind === 'empty' ? 'Waiting for data' : 'Live'} · updated ${timeFormat.format(new Date(state.at))}`;
      status.dataset.tone = 'ok';
      return;
    case 'error': {
      body.dataset.state = state.stale ? 'error-stale' : 'error-nodata';
      $('#error-title').textContent = state.stale
        ? 'The statistics are not updating: the numbers below are from the last good answer.'
        : 'The statistics are unavailable.';
      $('#error-message').textContent = state.message;
      $('#error-retry').textContent = `Retrying in ${Math.round(pollDelay(state) / 1000)} s.`;
      if (state.stale) renderStats(state.stale.stats);
      status.textContent = state.stale
        ? `Stale since ${timeFormat.format(new Date(state.stale.at))}`
        : 'Unavailable';
      status.dataset.tone = 'error';
      return;
    }
  }
}

let timer: ReturnType<typeof setTimeout> | undefined;
let polling = false;

async function poll(): Promise<void> {
  if (polling) return;
  polling = true;
  clearTimeout(timer);
  try {
    state = nextState(state, await fetchStats());
    render();
  } finally {
    polling = false;
    // A hidden tab stops polling; it polls again at once when shown.
    if (!document.hidden && state.kind !== 'unauthorized')
      timer = setTimeout(() => void poll(), pollDelay(state));
  }
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void poll();
});
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => charts.restyle());
$<HTMLFormElement>('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('#key-input');
  key = input.value.trim() || undefined;
  input.value = '';
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  thumbnails.clear();
  state = { kind: 'loading' };
  render();
  void poll();
});

render();
void poll();
