// The dashboard page: polls the read-only JSON API and redraws. Every value from the cluster
// (actor names, class names, job entrypoints...) goes into the DOM as text, never as HTML.

let refreshMs = 1000;
let lastDrawn = '';

/** document.createElement with properties and text/element children. */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const byId = (id) => document.getElementById(id);

function round(x) {
  return Math.round(x * 100) / 100;
}

function isMemory(key) {
  return key === 'memory' || key.endsWith('_memory');
}

function amount(key, value) {
  if (isMemory(key)) return `${(value / 2 ** 30).toFixed(1)} GiB`;
  return String(round(value));
}

function formatResources(resources) {
  return Object.entries(resources ?? {})
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}: ${amount(k, v)}`)
    .join(', ');
}

/** One "CPU [meter] 1/2" line per resource the node offers. */
function resourceUsage(total, available) {
  return Object.keys(total)
    .filter((key) => total[key] > 0)
    .map((key) => {
      const used = Math.max(0, total[key] - (available[key] ?? 0));
      return h(
        'div',
        { class: 'resource', 'data-resource': key },
        h('span', { class: 'resource-name' }, key),
        h('meter', { min: 0, max: total[key], value: used }),
        h('span', { class: 'resource-amount' }, `${amount(key, used)} / ${amount(key, total[key])}`),
      );
    });
}

function badge(text) {
  return h('span', { class: `badge state-${String(text).toLowerCase()}` }, text);
}

function emptyRow(columns, text) {
  return h('tr', { class: 'empty' }, h('td', { colSpan: columns }, text));
}

function setRows(tableId, rows, columns, emptyText) {
  byId(tableId)
    .querySelector('tbody')
    .replaceChildren(...(rows.length > 0 ? rows : [emptyRow(columns, emptyText)]));
}

/** A value of a record we know nothing about (tasks and jobs from other modules), as text. */
function cellText(key, value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' && /(At|Time)$/.test(key) && !Number.isNaN(Date.parse(value))) {
    return new Date(value).toLocaleString();
  }
  if (Array.isArray(value)) return value.map((v) => cellText('', v)).join(' ');
  if (typeof value === 'object') return formatResources(value) || JSON.stringify(value);
  return String(value);
}

/** A table of records from other modules (tasks, jobs): the given columns those records have. */
function recordTable(records, columns, idKey) {
  const keys = columns.filter(([k]) => records.some((r) => r[k] !== undefined && r[k] !== null));
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        keys.map(([, title]) => h('th', {}, title)),
      ),
    ),
    h(
      'tbody',
      {},
      records.map((r) =>
        h(
          'tr',
          { 'data-id': r[idKey] },
          keys.map(([k]) =>
            /^(state|status)$/.test(k) && typeof r[k] === 'string'
              ? h('td', {}, badge(r[k]))
              : h('td', { class: /Id$/.test(k) ? 'id' : '' }, cellText(k, r[k])),
          ),
        ),
      ),
    ),
  );
}

function drawSummary(status) {
  const alive = status.nodes.filter((n) => n.alive);
  const sum = (key, field) => alive.reduce((s, n) => s + (n[field][key] ?? 0), 0);
  const usage = (key) => `${round(sum(key, 'total') - sum(key, 'available'))} / ${round(sum(key, 'total'))}`;
  const cards = [
    ['Nodes alive', `${alive.length} / ${status.nodes.length}`],
    ['CPU used', usage('CPU')],
  ];
  if (sum('GPU', 'total') > 0) cards.push(['GPU used', usage('GPU')]);
  cards.push(
    ['Actors alive', String(status.actors.filter((a) => a.state === 'ALIVE').length)],
    ['Tasks running / pending', `${status.runningTasks} / ${status.pendingTasks}`],
    ['Pending demands', String(status.pendingDemands.length)],
  );
  byId('summary').replaceChildren(
    ...cards.map(([label, value]) =>
      h(
        'div',
        { class: 'card' },
        h('div', { class: 'card-value' }, value),
        h('div', { class: 'card-label' }, label),
      ),
    ),
  );
}

function drawNodes(nodes) {
  byId('nodes-count').textContent = `(${nodes.filter((n) => n.alive).length} alive)`;
  const rows = nodes.map((n) =>
    h(
      'tr',
      { 'data-node-id': n.nodeId, class: n.alive ? '' : 'dead' },
      h('td', { class: 'id' }, n.nodeId),
      h('td', {}, n.hostname),
      h('td', {}, badge(n.alive ? 'ALIVE' : 'DEAD')),
      h('td', {}, resourceUsage(n.total, n.available)),
      h('td', {}, String(n.workers)),
    ),
  );
  setRows('nodes', rows, 5, 'No nodes have joined.');
}

const ACTOR_ORDER = { ALIVE: 0, RESTARTING: 1, PENDING: 2, DEAD: 3 };

function drawActors(actors) {
  const live = actors.filter((a) => a.state !== 'DEAD').length;
  byId('actors-count').textContent = `(${live} live, ${actors.length - live} dead)`;
  const sorted = [...actors].sort((a, b) => (ACTOR_ORDER[a.state] ?? 9) - (ACTOR_ORDER[b.state] ?? 9));
  const rows = sorted.map((a) =>
    h(
      'tr',
      { 'data-actor-id': a.actorId, class: a.state === 'DEAD' ? 'dead' : '' },
      h('td', { class: 'id' }, a.actorId),
      h('td', {}, a.className),
      h('td', {}, a.name ?? ''),
      h('td', {}, badge(a.state)),
      h('td', { class: 'id' }, a.nodeId ?? ''),
      h('td', {}, String(a.restarts)),
      h('td', {}, formatResources(a.resources)),
    ),
  );
  setRows('actors', rows, 7, 'No actors.');
}

function drawGroups(groups) {
  byId('groups-count').textContent = `(${groups.length})`;
  const rows = groups.map((g) =>
    h(
      'tr',
      { 'data-group-id': g.groupId },
      h('td', { class: 'id' }, g.groupId),
      h('td', {}, g.name ?? ''),
      h('td', {}, badge(g.state)),
      h('td', {}, g.strategy),
      h('td', {}, g.bundles.map((b) => `{${formatResources(b)}}`).join(' ')),
      h('td', { class: 'id' }, g.nodeIds.join(' ')),
    ),
  );
  setRows('groups', rows, 6, 'No placement groups.');
}

function drawDemands(demands) {
  byId('demands-count').textContent = `(${demands.length})`;
  byId('demands').replaceChildren(
    ...(demands.length > 0
      ? demands.map((d) => h('li', {}, `{${formatResources(d)}}`))
      : [h('li', { class: 'muted' }, 'None: everything submitted has been placed.')]),
  );
}

const TASK_COLUMNS = [
  ['taskId', 'Task'],
  ['name', 'Function'],
  ['state', 'State'],
  ['nodeId', 'Node'],
  ['workerId', 'Worker'],
  ['attempt', 'Attempt'],
  ['resources', 'Resources'],
];

function drawTasks(status, tasks) {
  byId('tasks-summary').textContent = `${status.runningTasks} running, ${status.pendingTasks} pending.`;
  const box = byId('tasks');
  if (tasks.error) box.replaceChildren(h('p', { class: 'error' }, tasks.error));
  else if (!tasks.available || tasks.tasks.length === 0) box.replaceChildren();
  else {
    const shown = tasks.tasks.length;
    const total = tasks.running + tasks.pending;
    box.replaceChildren(
      recordTable(tasks.tasks, TASK_COLUMNS, 'taskId'),
      shown < total ? h('p', { class: 'muted' }, `${shown} of ${total} tasks shown.`) : '',
    );
  }
}

const JOB_COLUMNS = [
  ['jobId', 'Job'],
  ['status', 'Status'],
  ['entrypoint', 'Entrypoint'],
  ['submittedAt', 'Submitted'],
  ['startTime', 'Started'],
  ['endTime', 'Ended'],
  ['hostname', 'Host'],
  ['exitCode', 'Exit code'],
  ['message', 'Message'],
];

function drawJobs(jobs) {
  const box = byId('jobs');
  if (jobs.error) {
    box.replaceChildren(h('p', { class: 'error' }, jobs.error));
    return;
  }
  if (!jobs.available) {
    byId('jobs-count').textContent = '';
    box.replaceChildren(h('p', { class: 'muted' }, 'This cluster keeps no job records.'));
    return;
  }
  byId('jobs-count').textContent = `(${jobs.jobs.length})`;
  box.replaceChildren(
    jobs.jobs.length > 0
      ? recordTable(jobs.jobs, JOB_COLUMNS, 'jobId')
      : h('p', { class: 'muted' }, 'No jobs submitted (manta job submit).'),
  );
}

function draw(status, tasks, jobs) {
  // A head restarted from its JetStream state says so until it has heard from every node.
  const banner = byId('banner');
  banner.hidden = !status.head?.recovering;
  banner.textContent = banner.hidden
    ? ''
    : `The head restarted (epoch ${status.head.epoch}) and is rebuilding the cluster state from its nodes.`;
  drawSummary(status);
  drawNodes(status.nodes);
  drawActors(status.actors);
  drawGroups(status.placementGroups);
  drawDemands(status.pendingDemands);
  drawTasks(status, tasks);
  drawJobs(jobs);
}

async function fetchJson(path) {
  const res = await fetch(path, { cache: 'no-store', credentials: 'same-origin' });
  if (res.status === 401) {
    location.assign('/login');
    throw new Error('login required');
  }
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function setConnection(ok, text) {
  const el = byId('connection');
  el.textContent = ok ? 'live' : text;
  el.className = `badge ${ok ? 'state-alive' : 'state-dead'}`;
  if (ok) byId('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function tick() {
  try {
    const failed = (error) => ({ error: error.message });
    const [status, tasks, jobs] = await Promise.all([
      fetchJson('/api/status'),
      fetchJson('/api/tasks').catch(failed),
      fetchJson('/api/jobs').catch(failed),
    ]);
    // Redraw only on change, so a text selection survives refreshes of an idle cluster.
    const drawn = JSON.stringify([status, tasks, jobs]);
    if (drawn !== lastDrawn) {
      draw(status, tasks, jobs);
      lastDrawn = drawn;
    }
    document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
    setConnection(true);
  } catch (error) {
    setConnection(false, `head unreachable: ${error.message}`);
  } finally {
    setTimeout(tick, refreshMs);
  }
}

async function start() {
  try {
    const info = await fetchJson('/api/info');
    refreshMs = info.refreshMs;
    byId('logout').hidden = info.auth !== 'token';
  } catch {
    // keep the defaults; tick() reports the connection problem
  }
  await tick();
}

start();
