// The page of `cairn ui`: hash routes over the documents of the JSON API
// (served by `cairn ui`) or embedded in the file (`cairn ui --export`).
// Repository data is untrusted: every text goes in with textContent or an
// attribute set through the DOM, never as HTML.

const embedded = document.getElementById('cairn-data');
const SNAPSHOT = embedded ? JSON.parse(embedded.textContent) : null;
const view = document.getElementById('view');
const cache = new Map();

/** One API document: fetched from the server, or read from the embedded snapshot. */
async function api(endpoint, params = {}) {
  const key = endpoint + JSON.stringify(params);
  if (cache.has(key)) return cache.get(key);
  let doc;
  if (SNAPSHOT) {
    const missing = (what, cmd) => ({ error: { message: `${what} is not in this report`, hint: `run ${cmd} (or cairn ui) in the repository` } });
    if (endpoint === 'show') doc = SNAPSHOT.show[params.version] ?? missing(`experiment ${params.version}`, `cairn explore show ${params.version}`);
    else if (endpoint === 'diff')
      doc = SNAPSHOT.diff[`${params.a}..${params.b}`] ?? missing(`the comparison of ${params.a} and ${params.b}`, `cairn explore diff ${params.a} ${params.b}`);
    else if (endpoint === 'lineage') doc = SNAPSHOT.lineage[params.path] ?? missing(`the lineage of ${params.path}`, `cairn explore lineage ${params.path}`);
    else doc = SNAPSHOT[endpoint];
  } else {
    const qs = new URLSearchParams(params).toString();
    const r = await fetch(`/api/${endpoint}${qs ? `?${qs}` : ''}`); // as the page's <link rel=preload> asks for it, so it is reused
    doc = await r.json();
  }
  if (!(doc && doc.error)) cache.set(key, doc);
  return doc;
}

// ---- DOM helpers: text only ----
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
const enc = encodeURIComponent;
const expLink = (tag) => el('a', { href: `#/experiment/${enc(tag)}`, text: tag, class: 'tag' });
const show = (v) => (v === null || v === undefined ? '–' : String(v));
const bytes = (n) =>
  n < 1024
    ? `${n} B`
    : n < 1048576
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 1073741824
        ? `${(n / 1048576).toFixed(1)} MiB`
        : `${(n / 1073741824).toFixed(2)} GiB`;
const shortHash = (h) => (h ? h.replace(/^sha256:/, '').slice(0, 12) : '–');
const num = (v) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

function table(headers, rows, attrs = {}) {
  return el(
    'table',
    attrs,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', { text: h })),
      ),
    ),
    el(
      'tbody',
      {},
      rows.map((cells) =>
        el(
          'tr',
          {},
          cells.map((c) => (c instanceof Node && c.nodeName === 'TD' ? c : el('td', {}, c))),
        ),
      ),
    ),
  );
}
const cell = (col, value) => el('td', { dataset: { col } }, value instanceof Node ? value : show(value));

function errorBox(doc) {
  return el('div', { class: 'error' }, el('strong', { text: doc.error.message }), el('div', { class: 'hint', text: doc.error.hint ?? '' }));
}

function page(title, ...body) {
  view.replaceChildren(el('h2', { text: title }), ...body.flat(Infinity).filter((b) => b !== null && b !== undefined));
  document.title = `cairn · ${title}`;
  view.dataset.ready = 'true';
  window.cairnReadyAt = performance.now(); // for bench/ui.mjs: ms from navigation to a usable view
}

/** The row an experiment is shown with: its best results row, else what its tag records (as `explore list` shows it). */
const shownRow = (e) => e.resultsRows?.best ?? { run: e.run, metrics: e.metrics, params: e.params };

function columnsOf(experiments) {
  const metrics = new Set();
  const params = new Set();
  for (const e of experiments) {
    const r = shownRow(e);
    Object.keys(r.metrics).forEach((k) => metrics.add(k));
    Object.keys(r.params).forEach((k) => params.add(k));
  }
  return { metrics: [...metrics], params: [...params] };
}

// ---- views ----

const tableState = { sort: null, dir: 1, filter: '', picked: [] };

async function experimentsView(query) {
  const list = await api('list');
  if (list.error) return page('Experiments', errorBox(list));
  if (query.get('sort')) Object.assign(tableState, { sort: query.get('sort'), dir: query.get('dir') === 'asc' ? 1 : -1 });
  if (query.has('q')) tableState.filter = query.get('q');
  const experiments = list.experiments;
  const { metrics, params } = columnsOf(experiments);
  const cols = [
    { key: 'version', label: 'version', get: (e) => e.tag },
    { key: 'date', label: 'date', get: (e) => e.date.slice(0, 10) },
    { key: 'run', label: 'run', get: (e) => shownRow(e).run ?? null },
    ...metrics.map((m) => ({ key: `metric:${m}`, label: m, get: (e) => shownRow(e).metrics[m] ?? null, kind: 'metric' })),
    ...params.map((p) => ({ key: `param:${p}`, label: p, get: (e) => shownRow(e).params[p] ?? null, kind: 'param' })),
    { key: 'rows', label: 'rows', get: (e) => (e.resultsRows ? e.resultsRows.rows : null) },
    { key: 'subject', label: 'subject', get: (e) => e.subject },
  ];
  const body = el('tbody');
  const compare = el(
    'button',
    { id: 'compare', disabled: true, onclick: () => (location.hash = `#/compare/${enc(tableState.picked[0])}/${enc(tableState.picked[1])}`) },
    'compare',
  );
  const pickedNote = el('span', { class: 'picked' });
  const filter = el('input', { id: 'filter', type: 'search', placeholder: 'filter', value: tableState.filter });
  const count = el('span', { class: 'count' });
  const head = el(
    'tr',
    {},
    el('th', { text: 'pick' }),
    cols.map((c) => el('th', { class: `sortable ${c.kind ?? ''}`, dataset: { key: c.key }, onclick: () => sortBy(c.key) }, c.label)),
  );
  function updatePicked() {
    compare.disabled = tableState.picked.length !== 2;
    pickedNote.textContent = tableState.picked.length ? `picked: ${tableState.picked.join(', ')}` : 'pick two rows to compare';
  }
  function toggle(tag) {
    const i = tableState.picked.indexOf(tag);
    if (i >= 0) tableState.picked.splice(i, 1);
    else {
      tableState.picked.push(tag);
      if (tableState.picked.length > 2) tableState.picked.shift();
    }
    for (const box of body.querySelectorAll('input[type=checkbox]')) box.checked = tableState.picked.includes(box.dataset.tag);
    updatePicked();
  }
  function sortBy(key) {
    if (tableState.sort === key) tableState.dir = -tableState.dir;
    else Object.assign(tableState, { sort: key, dir: key.startsWith('metric:') ? -1 : 1 });
    render();
  }
  function render() {
    const words = tableState.filter.toLowerCase();
    let shown = experiments.map((e) => ({ e, values: cols.map((c) => c.get(e)) }));
    if (words) shown = shown.filter((r) => r.values.some((v) => v !== null && String(v).toLowerCase().includes(words)));
    const at = cols.findIndex((c) => c.key === tableState.sort);
    if (at >= 0) {
      shown.sort((a, b) => {
        const [x, y] = [a.values[at], b.values[at]];
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        const [nx, ny] = [num(x), num(y)];
        return (nx !== null && ny !== null ? nx - ny : String(x).localeCompare(String(y))) * tableState.dir;
      });
    }
    for (const th of head.querySelectorAll('th[data-key]')) {
      th.dataset.sorted = th.dataset.key === tableState.sort ? (tableState.dir > 0 ? 'asc' : 'desc') : '';
    }
    const rows = shown.map(({ e, values }) =>
      el(
        'tr',
        { dataset: { tag: e.tag }, class: e.kind === 'worktree' ? 'variant' : '' },
        el(
          'td',
          {},
          el('input', {
            type: 'checkbox',
            dataset: { tag: e.tag },
            checked: tableState.picked.includes(e.tag),
            onclick: (ev) => (ev.stopPropagation(), toggle(e.tag)),
          }),
        ),
        cols.map((c, i) => cell(c.key, c.key === 'version' ? expLink(e.tag) : values[i])),
      ),
    );
    body.replaceChildren(...rows);
    count.textContent = `${shown.length} of ${experiments.length} experiments`;
    const params = new URLSearchParams();
    if (tableState.sort) (params.set('sort', tableState.sort), params.set('dir', tableState.dir > 0 ? 'asc' : 'desc'));
    if (tableState.filter) params.set('q', tableState.filter);
    history.replaceState(null, '', `#/experiments${params.size ? `?${params}` : ''}`);
  }
  filter.addEventListener('input', () => ((tableState.filter = filter.value), render()));
  body.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr');
    if (tr && !ev.target.closest('a')) toggle(tr.dataset.tag);
  });
  render();
  updatePicked();
  const notes = list.notes.map((n) => el('p', { class: 'note', text: `note: ${n}` }));
  page(
    'Experiments',
    el('div', { class: 'toolbar' }, filter, count, pickedNote, compare),
    ...notes,
    el('table', { id: 'experiments' }, el('thead', {}, head), body),
  );
}

async function chartView(query) {
  const [list, info, basesDoc] = await Promise.all([api('list'), api('info'), api('bases')]);
  if (list.error) return page('Metric over versions', errorBox(list));
  const experiments = list.experiments;
  const { metrics } = columnsOf(experiments);
  const metric = query.get('metric') ?? (info.primary && metrics.includes(info.primary) ? info.primary : metrics[0]);
  const select = el(
    'select',
    { id: 'metric', onchange: () => (location.hash = `#/chart?metric=${enc(select.value)}`) },
    metrics.map((m) => el('option', { value: m, selected: m === metric, text: m })),
  );
  if (!metric) return page('Metric over versions', el('p', { text: 'no experiment records a metric yet' }));
  const value = (e) => num(shownRow(e).metrics[metric] ?? null);
  const main = experiments.filter((e) => e.kind !== 'worktree');
  const variants = experiments.filter((e) => e.kind === 'worktree');
  const index = new Map(main.map((e, i) => [e.tag, i]));
  // Variants sit between their base version and the next one, each name its own series joined to its base.
  const byBase = new Map();
  for (const v of variants) {
    const base = basesDoc.bases?.[v.tag] ?? null;
    const key = base !== null && index.has(base) ? base : null;
    byBase.set(key, [...(byBase.get(key) ?? []), v]);
  }
  const points = main.map((e, i) => ({ x: i, e, series: 'main' }));
  for (const [base, list] of byBase) {
    const at = base === null ? main.length - 1 : index.get(base);
    list.forEach((v, j) => points.push({ x: at + (j + 1) / (list.length + 1), e: v, series: v.tag.replace(/-v\d+$/, ''), base }));
  }
  points.sort((a, b) => a.x - b.x);
  const names = [...new Set(points.filter((p) => p.series !== 'main').map((p) => p.series))];
  const xs = points.map((p) => p.x);
  const mainYs = points.map((p) => (p.series === 'main' ? value(p.e) : null));
  const basesOf = new Map(names.map((n) => [n, new Set()]));
  for (const p of points) if (p.series !== 'main' && p.base) basesOf.get(p.series).add(p.base);
  const variantYs = names.map((name) => {
    const joined = basesOf.get(name);
    return points.map((p) => (p.series === name || (p.series === 'main' && joined.has(p.e.tag)) ? value(p.e) : null));
  });
  const tooltip = el('div', { id: 'tooltip', class: 'tooltip', hidden: true });
  const holder = el('div', { id: 'chart' });
  const rows = points.map((p) =>
    el(
      'tr',
      { dataset: { tag: p.e.tag } },
      cell('version', expLink(p.e.tag)),
      cell('series', p.series),
      cell('value', value(p.e)),
      cell('subject', p.e.subject),
    ),
  );
  page(
    'Metric over versions',
    el(
      'div',
      { class: 'toolbar' },
      el('label', {}, 'metric ', select),
      el('span', { class: 'note', text: 'best row per version; variants (exp-NAME-vN) joined to the version they branched from; click a point to open it' }),
    ),
    holder,
    tooltip,
    el(
      'table',
      { id: 'points' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['version', 'series', metric, 'subject'].map((h) => el('th', { text: h })),
        ),
      ),
      el('tbody', {}, rows),
    ),
  );
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
  const opts = {
    width: Math.max(480, Math.min(1100, holder.clientWidth || 900)),
    height: 360,
    cursor: { points: { size: 9 } },
    scales: { x: { time: false } },
    legend: { show: true },
    axes: [
      { splits: () => main.map((_, i) => i), values: (_u, splits) => splits.map((s) => main[s]?.tag ?? ''), rotate: 0 },
      { label: metric, size: 60 },
    ],
    series: [
      { label: 'version', value: (_u, x) => (x === null ? '–' : (points.find((p) => p.x === x)?.e.tag ?? '')) },
      { label: 'versions', stroke: palette[0], width: 2, points: { show: true, size: 7 }, spanGaps: true, value: (_u, y) => show(y) },
      ...names.map((n, i) => ({
        label: n,
        stroke: palette[(i + 1) % palette.length],
        width: 2,
        dash: [6, 4],
        points: { show: true, size: 7 },
        spanGaps: true,
        value: (_u, y) => show(y),
      })),
    ],
    hooks: {
      setCursor: [
        (u) => {
          const i = u.cursor.idx;
          if (i === null || i === undefined) return void (tooltip.hidden = true);
          const p = points[i];
          tooltip.replaceChildren(el('strong', { text: p.e.tag }), ` ${metric}=${show(value(p.e))}`, el('div', { text: p.e.subject }));
          tooltip.hidden = false;
          tooltip.dataset.tag = p.e.tag;
          const box = u.over.getBoundingClientRect();
          tooltip.style.left = `${box.left + u.cursor.left + 14}px`;
          tooltip.style.top = `${box.top + u.cursor.top + 14}px`;
        },
      ],
    },
  };
  const u = new window.uPlot(opts, [xs, mainYs, ...variantYs], holder);
  u.over.addEventListener('click', () => {
    const i = u.cursor.idx;
    if (i !== null && i !== undefined) location.hash = `#/experiment/${enc(points[i].e.tag)}`;
  });
  window.cairnChart = { u, points: points.map((p) => ({ tag: p.e.tag, x: p.x, y: value(p.e) })) };
}

function kv(pairs) {
  return el(
    'dl',
    { class: 'kv' },
    pairs
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => [el('dt', { text: k }), el('dd', { dataset: { field: k } }, v instanceof Node ? v : String(v))]),
  );
}

function valuesTable(id, values) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return el('p', { class: 'none', text: '(none)' });
  return table(
    ['name', 'value'],
    entries.map(([k, v]) => [cell('name', k), cell('value', v)]),
    { id },
  );
}

async function experimentView(tag) {
  const [doc, list, models] = await Promise.all([api('show', { version: tag }), api('list'), api('models')]);
  if (doc.error) return page(tag, errorBox(doc));
  const listed = list.error ? undefined : list.experiments.find((e) => e.tag === tag);
  const rows = listed?.resultsRows;
  const run = rows?.best?.run ?? doc.run;
  const recorded = doc.command
    ? el(
        'section',
        { id: 'recorded' },
        el('h3', { text: 'recorded by cairn run' }),
        kv([
          ['command', doc.command.join(' ')],
          ['workdir', doc.workdir],
          ['exit', doc.exit],
          ['duration', doc.duration !== undefined ? `${doc.duration} s` : undefined],
          ['dirty', doc.dirty === undefined ? undefined : doc.dirty ? 'yes' : 'no'],
        ]),
      )
    : null;
  const artifacts = doc.artifacts.length
    ? table(
        ['path', 'kind', 'size', 'hash', 'in cache', 'on remote', ''],
        doc.artifacts.map((a) => [
          cell('path', a.path),
          cell('kind', a.kind === 'dir' ? `dir (${a.files} files)` : 'file'),
          cell('size', bytes(a.size)),
          cell('hash', shortHash(a.hash)),
          cell('inCache', a.inCache ? 'yes' : 'no'),
          cell('onRemote', a.onRemote === null ? 'no remote' : a.onRemote ? 'yes' : 'no'),
          cell('lineage', el('a', { href: `#/lineage/${enc(a.path)}`, text: 'lineage' })),
        ]),
        { id: 'artifacts' },
      )
    : el('p', { class: 'none', text: '(no artifacts)' });
  const modelBits = [];
  if (!models.error) {
    const prov = models.production?.provenance;
    if (prov && (prov.version === tag || (run && prov.run === run)))
      modelBits.push(el('p', { id: 'production-of', text: `production model ${models.production.path} was promoted from run ${prov.run}` }));
    const mine = models.candidates.filter((c) => c.run === run || c.run === doc.run);
    if (mine.length)
      modelBits.push(
        table(
          ['candidate', 'file', 'size', models.metric ?? 'value'],
          mine.map((c) => [cell('run', c.run), cell('file', c.file), cell('size', bytes(c.size)), cell('value', c.value)]),
          { id: 'models' },
        ),
      );
  }
  if (!modelBits.length) modelBits.push(el('p', { class: 'none', text: '(no model of this run in models/)' }));
  page(
    `Experiment ${doc.tag}`,
    el('p', { class: 'subject', text: doc.subject }),
    kv([
      ['commit', doc.commit],
      ['date', doc.date],
      ['kind', doc.kind],
      ['run', doc.run],
      ['data', doc.data],
      ['results', doc.results],
      ['results rows', rows ? `${rows.rows} in ${rows.results}` : undefined],
    ]),
    recorded,
    el('h3', { text: 'metrics' }),
    valuesTable('metrics', doc.metrics),
    el('h3', { text: 'params' }),
    valuesTable('params', doc.params),
    rows?.best && rows.rows > 1
      ? el('p', { class: 'note', text: `the tag records the best of ${rows.rows} results rows (run ${rows.best.run ?? '?'})` })
      : null,
    el('h3', { text: 'artifacts' }),
    artifacts,
    el('h3', { text: 'models' }),
    ...modelBits,
  );
}

async function compareView(a, b) {
  const d = await api('diff', { a, b });
  if (d.error) return page(`Compare ${a} and ${b}`, errorBox(d));
  const rel = (r) => (r === 'n/a' ? 'n/a' : `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)}%`);
  const delta = (x) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${Number(x.toPrecision(6))}`);
  const arts = d.artifacts;
  const artRows = [
    ...arts.added.map((x) => [cell('change', 'added'), cell('path', x.path), cell('old', '–'), cell('new', shortHash(x.hash))]),
    ...arts.removed.map((x) => [cell('change', 'removed'), cell('path', x.path), cell('old', shortHash(x.hash)), cell('new', '–')]),
    ...arts.changed.map((x) => [cell('change', 'changed'), cell('path', x.path), cell('old', shortHash(x.old)), cell('new', shortHash(x.new))]),
  ];
  page(
    `Compare ${d.from.tag} → ${d.to.tag}`,
    el('p', {}, expLink(d.from.tag), ` (${d.from.commit.slice(0, 12)}) → `, expLink(d.to.tag), ` (${d.to.commit.slice(0, 12)})`),
    ...d.notes.map((n) => el('p', { class: 'note', text: n })),
    el('h3', { text: 'metrics' }),
    d.metrics.length
      ? table(
          ['metric', d.from.tag, d.to.tag, 'delta', '%'],
          d.metrics.map((m) => [
            cell('name', m.name),
            cell('old', m.old),
            cell('new', m.new),
            cell('delta', delta(m.delta)),
            cell('relative', rel(m.relative)),
          ]),
          { id: 'metric-deltas' },
        )
      : el('p', { class: 'none', text: '(no metrics)' }),
    el('h3', { text: 'params that changed' }),
    d.params.length
      ? table(
          ['param', d.from.tag, d.to.tag],
          d.params.map((p) => [cell('name', p.name), cell('old', p.old), cell('new', p.new)]),
          { id: 'param-changes' },
        )
      : el('p', { class: 'none', text: '(none)' }),
    el('h3', { text: 'artifacts' }),
    artRows.length ? table(['', 'path', d.from.tag, d.to.tag], artRows, { id: 'artifact-changes' }) : el('p', { class: 'none', text: '(unchanged)' }),
    el('h3', { text: 'code' }),
    el('pre', { id: 'codestat', text: d.codeStat || '(no changes)' }),
  );
}

async function lineageView(path) {
  const list = await api('list');
  const newest = list.error ? undefined : list.experiments[list.experiments.length - 1];
  const shown = newest ? await api('show', { version: newest.tag }) : null;
  const paths = shown && !shown.error ? shown.artifacts.map((a) => a.path) : [];
  const chooser = el(
    'p',
    { class: 'toolbar' },
    'artifacts of the newest experiment: ',
    paths.map((p) => el('a', { href: `#/lineage/${enc(p)}`, text: p, class: p === path ? 'current' : '' })),
  );
  if (!path) return page('Lineage', chooser, el('p', { text: paths.length ? 'pick an artifact' : 'no artifacts yet' }));
  const doc = await api('lineage', { path });
  if (doc.error) return page(`Lineage of ${path}`, chooser, errorBox(doc));
  page(
    `Lineage of ${path}`,
    chooser,
    el('p', { text: `${doc.versions.length} version(s) of ${doc.path} across the experiments, newest first` }),
    doc.versions.map((v) =>
      el(
        'section',
        { class: 'lineage-version', dataset: { hash: v.hash } },
        el('h3', { text: v.hash }),
        table(
          ['experiment', 'date', 'commit', 'paths'],
          v.experiments.map((e) => [
            cell('tag', expLink(e.tag)),
            cell('date', e.date.slice(0, 19)),
            cell('commit', e.commit.slice(0, 12)),
            cell('paths', e.paths.join(', ')),
          ]),
        ),
      ),
    ),
  );
}

async function modelsView() {
  const [m, info] = await Promise.all([api('models'), api('info')]);
  if (m.error) return page('Models', errorBox(m));
  const p = m.production;
  const prov = p?.provenance;
  const minimize = m.metric !== null && m.metric === info.primary && info.minimize;
  const ranked = [...m.candidates].sort((a, b) =>
    a.value === null || b.value === null ? (a.value === b.value ? 0 : a.value === null ? 1 : -1) : minimize ? a.value - b.value : b.value - a.value,
  );
  page(
    'Models',
    el('h3', { text: 'production' }),
    p
      ? el(
          'div',
          { id: 'production' },
          kv([
            ['path', p.path],
            ['size', bytes(p.size)],
            ['run', prov?.run],
            ['version', prov?.version ? expLink(prov.version) : undefined],
            ['metric', prov?.metric ? `${prov.metric.name}=${show(prov.metric.value)}` : undefined],
            ['source', prov ? `${prov.source.path} (${shortHash(prov.source.hash)})` : undefined],
            ['promoted', prov?.promotedAt],
          ]),
          prov ? null : el('p', { class: 'note', text: 'no PROVENANCE.json: where it came from is not recorded' }),
        )
      : el('p', { class: 'none', text: 'none (cairn model promote)' }),
    el('h3', { text: `candidates${m.metric ? `, ranked by ${m.metric}${minimize ? ' (lower is better)' : ''}` : ''}` }),
    ranked.length
      ? table(
          ['rank', 'run', 'file', 'size', m.metric ?? 'value'],
          ranked.map((c, i) => [cell('rank', i + 1), cell('run', c.run), cell('file', c.file), cell('size', bytes(c.size)), cell('value', c.value)]),
          { id: 'candidates' },
        )
      : el('p', { class: 'none', text: 'none (cairn model add FILE --run ID)' }),
    m.results ? el('p', { class: 'note', text: `values from ${m.results.location}` }) : null,
    ...m.notes.map((n) => el('p', { class: 'note', text: `note: ${n}` })),
  );
}

async function worktreesView() {
  const [w, list] = await Promise.all([api('worktrees'), api('list')]);
  if (w.error) return page('Worktrees', errorBox(w));
  const experiments = list.error ? [] : list.experiments;
  const tagsOf = (wt) => {
    if (wt.kind === 'main') return experiments.filter((e) => e.kind !== 'worktree').map((e) => e.tag);
    const name = wt.branch?.startsWith('exp/') ? wt.branch.slice(4) : null;
    return name ? experiments.filter((e) => e.tag.startsWith(`exp-${name}-v`)).map((e) => e.tag) : [];
  };
  page(
    'Worktrees',
    table(
      ['path', 'branch', 'kind', 'tags', 'dirty', 'not pushed', 'results merged'],
      w.worktrees.map((x) => [
        cell('path', x.path),
        cell('branch', x.branch ?? '(detached)'),
        cell('kind', x.kind),
        cell(
          'tags',
          el(
            'span',
            {},
            tagsOf(x).flatMap((t, i) => (i ? [', ', expLink(t)] : [expLink(t)])),
          ),
        ),
        cell('dirty', x.dirty ? 'yes' : 'no'),
        cell('notPushed', x.notPushed === null ? 'no remote' : x.notPushed),
        cell('resultsMerged', x.kind === 'main' ? '–' : x.resultsMerged),
      ]),
      { id: 'worktrees' },
    ),
  );
}

// ---- routing ----

async function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = hash.split('?');
  const parts = pathPart.split('/').map((p) => decodeURIComponent(p));
  const query = new URLSearchParams(queryPart);
  view.dataset.ready = 'false';
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.dataset.view === (parts[0] || 'experiments'));
  try {
    switch (parts[0]) {
      case '':
      case 'experiments':
        return await experimentsView(query);
      case 'chart':
        return await chartView(query);
      case 'experiment':
        return await experimentView(parts.slice(1).join('/'));
      case 'compare':
        return await compareView(parts[1], parts[2]);
      case 'lineage':
        return await lineageView(parts.slice(1).join('/'));
      case 'models':
        return await modelsView();
      case 'worktrees':
        return await worktreesView();
      default:
        return page('Not found', el('p', { text: `no view ${parts[0]}` }));
    }
  } catch (err) {
    page('Error', el('div', { class: 'error', text: String(err && err.message ? err.message : err) }));
  }
}

if (SNAPSHOT) {
  const banner = document.getElementById('banner');
  banner.hidden = false;
  banner.textContent = `report exported ${SNAPSHOT.exportedAt ?? ''} from ${SNAPSHOT.info.root}${SNAPSHOT.notes.length ? ` — ${SNAPSHOT.notes.join('; ')}` : ''}`;
}
window.addEventListener('hashchange', route);
route();
