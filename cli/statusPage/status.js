// The status page: polls /api/status and renders it. Plain browser JavaScript, no build step;
// Chart.js is the global its UMD bundle defines. Everything from the API is untrusted text
// (model names, prefixes, errors): it is set as textContent, never parsed as HTML.
(() => {
  const API = '/api/status';
  const COLORS = { cost: '#0b5cad', realtime: '#b35c00', saved: '#1a7f37', p90: '#8250df' };

  const byId = (id) => document.getElementById(id);

  /** The value at a dotted path of the status, or undefined. */
  const valueAt = (status, path) =>
    path.split('.').reduce((v, key) => (v == null ? undefined : v[key]), status);

  const formatUsd = (usd) => {
    const abs = Math.abs(usd);
    const digits =
      abs === 0 || abs >= 1 ? 2 : Math.min(9, Math.max(4, 2 - Math.floor(Math.log10(abs)) + 1));
    return `${usd < 0 ? '-' : ''}$${abs.toFixed(digits)}`;
  };

  const formatDuration = (seconds) => {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
    if (s < 86400) {
      return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
    }
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  };

  const formatBytes = (bytes) =>
    bytes < 1000
      ? `${bytes} B`
      : bytes < 1e6
        ? `${(bytes / 1000).toFixed(1)} kB`
        : `${(bytes / 1e6).toFixed(1)} MB`;

  const formatTime = (time) => new Date(time).toLocaleTimeString([], { hour12: false });
  const formatDateTime = (time) => new Date(time).toLocaleString([], { hour12: false });
  const formatCount = (n) => n.toLocaleString();

  const format = (value, kind) => {
    if (value === undefined || value === null) return '–';
    return kind === 'usd' ? formatUsd(value) : String(value);
  };

  /** A `<td>` (or `<th scope="row">`) with text, optionally numeric and bound to a field. */
  const cell = (text, options = {}) => {
    const element = document.createElement(options.header ? 'th' : 'td');
    if (options.header) element.scope = 'row';
    if (options.numeric) element.className = 'num';
    if (options.field) element.dataset.field = options.field;
    if (options.numeric && text === '0') element.classList.add('zero');
    element.textContent = text;
    return element;
  };

  const row = (cells) => {
    const tr = document.createElement('tr');
    tr.append(...cells);
    return tr;
  };

  const renderFields = (status) => {
    for (const element of document.querySelectorAll('[data-field]')) {
      if (element.closest('tbody[id]')) continue;
      element.textContent = format(valueAt(status, element.dataset.field), element.dataset.format);
    }
  };

  const renderStates = (status) => {
    // The API counts every batch state, in the states' own order, for each provider: the
    // columns are those keys (the page keeps no list of its own to drift from the domain's).
    const states = Object.keys(Object.values(status.batches_by_state)[0] ?? {});
    const head = byId('states-head');
    if (head.children.length === 1) {
      for (const state of states) {
        const th = document.createElement('th');
        th.scope = 'col';
        th.className = 'num';
        th.textContent = state;
        head.append(th);
      }
    }
    const providers = Object.keys(status.batches_by_state);
    byId('states-body').replaceChildren(
      ...providers.map((provider) =>
        row([
          cell(provider, { header: true }),
          ...states.map((state) =>
            cell(String(status.batches_by_state[provider][state] ?? 0), {
              numeric: true,
              field: `batches_by_state.${provider}.${state}`,
            }),
          ),
        ]),
      ),
    );
  };

  const fillCell = (batch) => {
    const td = document.createElement('td');
    const wrapper = document.createElement('span');
    wrapper.className = 'fill';
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = batch.fill;
    bar.setAttribute('aria-label', `batch ${batch.batch_id} fill`);
    const text = document.createElement('span');
    text.textContent = `${Math.round(batch.fill * 100)}% of ${formatCount(batch.capacity)}`;
    wrapper.append(bar, text);
    td.append(wrapper);
    return td;
  };

  const expectedEndCell = (batch, now) => {
    const td = document.createElement('td');
    if (batch.expected_end === null) {
      td.textContent = '–';
      return td;
    }
    const time = document.createElement('time');
    time.dateTime = batch.expected_end;
    const inSeconds = (Date.parse(batch.expected_end) - now) / 1000;
    if (batch.expected_end_basis === 'ended') {
      time.textContent = `ended ${formatTime(batch.expected_end)}`;
    } else {
      time.textContent = `${formatTime(batch.expected_end)} (${inSeconds >= 0 ? `in ${formatDuration(inSeconds)}` : `${formatDuration(-inSeconds)} late`})`;
      time.title = `Based on the ${batch.expected_end_basis}`;
    }
    td.append(time);
    return td;
  };

  const renderBatches = (status) => {
    const now = Date.parse(status.generated_at);
    const rows = status.batches.map((batch) => {
      const state = document.createElement('span');
      state.className = `state state-${batch.state}`;
      state.textContent = batch.state;
      const stateCell = document.createElement('td');
      stateCell.dataset.field = 'state';
      stateCell.append(state);
      const idCell = cell(batch.batch_id, { header: true });
      const tr = row([
        idCell,
        cell(batch.provider),
        cell(batch.models.join(', ') || '–'),
        stateCell,
        cell(String(batch.requests), { numeric: true, field: 'requests' }),
        fillCell(batch),
        cell(formatDuration(batch.age_seconds), { numeric: true }),
        expectedEndCell(batch, now),
      ]);
      tr.dataset.batchId = batch.batch_id;
      return tr;
    });
    byId('batches-body').replaceChildren(...rows);
    byId('batches-empty').hidden = rows.length > 0;
    byId('tile-active').textContent = String(
      status.batches.filter((b) => b.state !== 'completed').length,
    );
  };

  const renderCounts = (bodyId, counts, prefix) => {
    byId(bodyId).replaceChildren(
      ...Object.entries(counts).map(([name, n]) =>
        row([
          cell(name, { header: true }),
          cell(String(n), { numeric: true, field: `${prefix}.${name}` }),
        ]),
      ),
    );
  };

  const renderParked = (status) => {
    byId('parked-body').replaceChildren(
      ...status.parked.prefixes.map((p) => {
        const prefix = document.createElement('td');
        const code = document.createElement('code');
        code.textContent = p.prefix;
        prefix.append(code);
        return row([
          prefix,
          cell(p.destination_type),
          cell(String(p.objects), { numeric: true }),
          cell(formatBytes(p.bytes), { numeric: true }),
          cell(p.oldest === null ? '–' : formatDateTime(p.oldest)),
        ]);
      }),
    );
  };

  let costChart = null;
  let turnaroundChart = null;

  const renderCostChart = (status) => {
    const series = status.costs.series;
    byId('cost-chart-text').textContent =
      series.length === 0
        ? 'No cost recorded yet.'
        : `Cost ${formatUsd(status.costs.cost_usd)}, at realtime prices ${formatUsd(status.costs.realtime_usd)}, saved ${formatUsd(status.costs.saved_usd)}.`;
    const untimed = status.costs.untimed;
    byId('cost-untimed').textContent =
      untimed.requests === 0
        ? ''
        : `${untimed.requests} requests served outside a batch cost ${formatUsd(untimed.cost_usd)} (${formatUsd(untimed.realtime_usd)} at realtime prices): they are in the totals above; the ledger keeps their day, not their time, so the chart leaves them out.`;
    const points = (key) => series.map((p) => ({ x: Date.parse(p.at), y: p[key] }));
    const data = {
      datasets: [
        { label: 'Cost', data: points('cost_usd'), borderColor: COLORS.cost },
        {
          label: 'At realtime prices',
          data: points('realtime_usd'),
          borderColor: COLORS.realtime,
          borderDash: [6, 4],
        },
        {
          label: 'Saved',
          data: points('saved_usd'),
          borderColor: COLORS.saved,
          // Filled, so it shows where it runs level with the cost (a 50% discount).
          fill: 'origin',
          backgroundColor: 'rgba(26, 127, 55, 0.18)',
        },
      ].map((d) => ({ backgroundColor: d.borderColor, ...d, stepped: true, pointRadius: 2 })),
    };
    if (costChart === null) {
      costChart = new Chart(byId('cost-chart'), {
        type: 'line',
        data,
        options: {
          animation: false,
          maintainAspectRatio: false,
          interaction: { mode: 'index', intersect: false },
          scales: {
            x: {
              type: 'linear',
              title: { display: true, text: 'batch ended at' },
              ticks: { callback: (v) => formatTime(Number(v)), maxRotation: 0 },
            },
            y: {
              beginAtZero: true,
              title: { display: true, text: 'USD, cumulative' },
              ticks: { callback: (v) => formatUsd(Number(v)) },
            },
          },
          plugins: {
            tooltip: {
              callbacks: {
                title: (items) => (items[0] ? formatTime(items[0].parsed.x) : ''),
                label: (c) => `${c.dataset.label}: ${formatUsd(c.parsed.y)}`,
              },
            },
          },
        },
      });
    } else {
      costChart.data = data;
      costChart.update('none');
    }
  };

  const renderTurnaroundChart = (status) => {
    const providers = status.turnaround.providers;
    byId('turnaround-chart-text').textContent =
      providers.length === 0
        ? 'No batch has ended yet.'
        : providers
            .map(
              (t) =>
                `${t.provider}: median ${formatDuration(t.median_seconds)}, 90th percentile ${formatDuration(t.p90_seconds)}, longest ${formatDuration(t.max_seconds)} over ${t.batches} batches.`,
            )
            .join(' ');
    const data = {
      labels: providers.map((t) => `${t.provider} (${t.batches})`),
      datasets: [
        { label: 'Median', data: providers.map((t) => t.median_seconds), color: COLORS.cost },
        { label: '90th percentile', data: providers.map((t) => t.p90_seconds), color: COLORS.p90 },
        { label: 'Longest', data: providers.map((t) => t.max_seconds), color: COLORS.realtime },
      ].map(({ color, ...d }) => ({ ...d, backgroundColor: color, borderColor: color })),
    };
    if (turnaroundChart === null) {
      turnaroundChart = new Chart(byId('turnaround-chart'), {
        type: 'bar',
        data,
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: {
            y: {
              beginAtZero: true,
              title: { display: true, text: 'seconds' },
            },
          },
          plugins: {
            tooltip: {
              callbacks: { label: (c) => `${c.dataset.label}: ${formatDuration(c.parsed.y)}` },
            },
          },
        },
      });
    } else {
      turnaroundChart.data = data;
      turnaroundChart.update('none');
    }
  };

  const render = (status) => {
    byId('label').textContent = `· ${status.label}`;
    document.title = `batchlane status · ${status.label}`;
    renderFields(status);
    renderStates(status);
    renderBatches(status);
    renderCounts('status-body', status.results.by_status, 'results.by_status');
    renderCounts('lane-body', status.results.by_lane, 'results.by_lane');
    renderParked(status);
    renderCostChart(status);
    renderTurnaroundChart(status);
    byId('refresh').textContent = formatDuration(status.refresh_ms / 1000);
    byId('updated').textContent =
      `Updated ${formatTime(status.generated_at)}; costs and completed batches since ${status.range.since}.`;
    document.body.dataset.generatedAt = status.generated_at;
  };

  const showError = (message) => {
    const element = byId('error');
    element.hidden = message === null;
    element.textContent = message ?? '';
  };

  let refreshMs = 2000;

  const poll = async () => {
    try {
      const response = await fetch(API, { cache: 'no-store' });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
      refreshMs = body.refresh_ms;
      render(body);
      showError(null);
    } catch (error) {
      // A failed read is shown, not thrown: the page keeps the last status and tries again.
      showError(`The status could not be read: ${error instanceof Error ? error.message : error}`);
    }
    setTimeout(poll, refreshMs);
  };

  Chart.defaults.color = '#1b1f24';
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  poll();
})();
