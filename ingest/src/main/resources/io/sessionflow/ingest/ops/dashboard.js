// The ops dashboard, a file of its own: the page's CSP allows no inline script.
(function () {
  'use strict';
  const KEEP = 150, EVERY = 2000;
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem('sf-ops-token', fragment.get('token'));
    history.replaceState(null, '', location.pathname);
  }
  let token = sessionStorage.getItem('sf-ops-token');
  const status = document.getElementById('status');
  const login = document.getElementById('login');
  let timer = null;
  document.getElementById('use').onclick = () => {
    token = document.getElementById('token').value.trim();
    sessionStorage.setItem('sf-ops-token', token);
    login.style.display = 'none';
    schedule(0);
  };
  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  const panels = [
    { id: 'throughput', title: 'Upload throughput (MB/s)', series: ['MB/s'] },
    { id: 'active', title: 'Active uploads', series: ['uploads'] },
    { id: 'backlog', title: 'Transcription backlog (records) and busy slots', series: ['lag', 'busy slots'] },
    { id: 'rtf', title: 'Real-time factor (processing s per audio s, mean)', series: ['RTF'] },
    { id: 'stages', title: 'Recordings per stage', series: ['STORED', 'TRANSCRIBED', 'ANALYZED', 'FAILED', 'DELETED'] },
    { id: 'purge', title: 'Time to purge (s, transcript durable → audio gone)', series: ['mean', 'max'] },
    { id: 'oldest', title: 'Oldest raw audio at rest (s)', series: ['age'] },
    { id: 'failures', title: 'Failures by stage (dead letters, total)', series: ['ingest', 'transcriber', 'analyzer', 'purger'] }
  ];
  const colours = ['#2d6cdf', '#e67e22', '#27ae60', '#c0392b', '#8e44ad', '#16a085'];
  const data = {};
  const plots = {};
  for (const p of panels) {
    const box = document.createElement('div');
    box.className = 'chart';
    box.innerHTML = '<h2></h2>';
    box.querySelector('h2').textContent = p.title;
    document.getElementById('charts').appendChild(box);
    data[p.id] = [[]].concat(p.series.map(() => []));
    plots[p.id] = new uPlot({
      width: 430, height: 200,
      series: [{}].concat(p.series.map((name, i) => ({ label: name, stroke: colours[i % colours.length], width: 2 }))),
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } }
    }, data[p.id], box);
  }

  const tiles = [
    ['uploadsActive', 'active uploads'], ['transcriptionLagRecords', 'transcription backlog'],
    ['realtimeFactorMean', 'real-time factor'], ['purgeDelaySecondsMax', 'slowest purge (s)'],
    ['rawAudioOldestAgeSeconds', 'oldest raw audio (s)'], ['rawAudioBytes', 'raw audio at rest (bytes)'],
    ['purgeFailuresTotal', 'purge failures']
  ];
  function showTiles(s) {
    const box = document.getElementById('tiles');
    box.innerHTML = '';
    for (const [key, label] of tiles) {
      const tile = document.createElement('div');
      tile.className = 'tile' + (key === 'purgeFailuresTotal' && s[key] > 0 ? ' alert' : '');
      const v = document.createElement('div'); v.className = 'v';
      v.textContent = Number(s[key] || 0).toLocaleString(undefined, { maximumFractionDigits: 2 });
      const k = document.createElement('div'); k.className = 'k'; k.textContent = label;
      tile.append(v, k);
      box.appendChild(tile);
    }
  }

  let previous = null, points = 0;
  function push(id, t, values) {
    const d = data[id];
    d[0].push(t);
    values.forEach((v, i) => d[i + 1].push(v));
    if (d[0].length > KEEP) { d.forEach(col => col.shift()); }
    plots[id].setData(d);
  }
  function apply(s) {
    const t = s.at / 1000;
    const seconds = previous ? (s.at - previous.at) / 1000 : 0;
    const rate = previous && seconds > 0 ? (s.uploadBytesTotal - previous.uploadBytesTotal) / seconds / 1e6 : 0;
    const st = (s.recordings && s.recordings.status) || {};
    const dl = s.deadLettersByStage || {};
    push('throughput', t, [Math.max(0, rate)]);
    push('active', t, [s.uploadsActive]);
    push('backlog', t, [s.transcriptionLagRecords, s.transcriptionSlotsBusy]);
    push('rtf', t, [s.realtimeFactorMean]);
    push('stages', t, ['STORED', 'TRANSCRIBED', 'ANALYZED', 'FAILED', 'DELETED'].map(k => st[k] || 0));
    push('purge', t, [s.purgeDelaySecondsMean, s.purgeDelaySecondsMax]);
    push('oldest', t, [s.rawAudioOldestAgeSeconds]);
    push('failures', t, ['ingest', 'transcriber', 'analyzer', 'purger'].map(k => dl[k] || 0));
    showTiles(s);
    previous = s;
    points++;
    status.textContent = 'live · updated ' + new Date(s.at).toLocaleTimeString();
    if (points >= 2) {
      document.body.dataset.rendered = 'true';
      document.body.dataset.points = String(points);
    }
  }
  async function poll() {
    if (!token) { login.style.display = 'block'; status.textContent = 'no token'; return; }
    try {
      const response = await fetch('/v1/ops/dashboard', { headers: { Authorization: 'Bearer ' + token } });
      if (response.status === 401 || response.status === 403) {
        const problem = await response.json().catch(() => ({}));
        status.textContent = (problem.detail || 'not allowed') + ' — paste an ops token';
        login.style.display = 'block';
        return;
      }
      if (response.ok) {
        apply(await response.json());
      } else {
        const problem = await response.json().catch(() => ({}));
        status.textContent = (problem.detail || ('server answered ' + response.status)) + '; retrying';
      }
    } catch (e) {
      status.textContent = 'cannot reach the server; retrying';
    }
    schedule(EVERY);
  }
  schedule(0);
})();
