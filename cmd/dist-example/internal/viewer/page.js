'use strict';
// dist-example sim -html: a lane diagram of every copy of every datagram, drawn as SVG.
(function () {
  const t0 = performance.now();
  const D = JSON.parse(document.getElementById('data').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const MAXDRAW = 4000;  // copies drawn one by one at most; more are aggregated
  const BINPX = 3;       // width of an aggregated bar, in pixels
  const ML = 64, MR = 16; // plot margins
  const LANEGAP = 170, LANETOP = 30;
  const SEND = { q: 'queued', l: 'lost', m: 'limit', p: 'partition', d: 'down' };
  const ARR = { D: 'deliver', N: 'noport', H: 'hostdown', B: 'rcvbuf' };

  // ---- data ----
  function decode(L) {
    const n = L.kept, s = L.copies;
    const c = {
      n: n, sent: new Float64Array(n), due: new Float64Array(n), arr: new Float64Array(n),
      fate: new Uint8Array(n), send: new Array(n), flags: new Uint8Array(n), arrive: new Array(n),
      len: new Int32Array(n), dg: new Int32Array(n), seq: new Float64Array(n), span: 0
    };
    let pos = 0, sent = 0, len = 0, dg = -1, seq = 0;
    for (let i = 0; i < n; i++) {
      const f = ['', '', '', '', ''];
      let k = 0, start = pos;
      while (pos <= s.length) {
        const ch = pos < s.length ? s.charCodeAt(pos) : 59;
        if (ch === 44 || ch === 59) {
          f[k++] = s.substring(start, pos);
          pos++;
          start = pos;
          if (ch === 59) break;
        } else pos++;
      }
      sent += f[0] === '' ? L.step : parseInt(f[0], 36);
      const code = f[1];
      c.fate[i] = code.charCodeAt(0) - 48;
      const send = code[1];
      let j = 2, fl = 0;
      if (j < code.length && code[j] >= '0' && code[j] <= '9') { fl = code.charCodeAt(j) - 48; j++; }
      const arrive = j < code.length ? code[j] : '';
      if (f[4] !== '') len = parseInt(f[4], 36);
      if (!(fl & 1)) dg++;
      c.sent[i] = sent; c.send[i] = send; c.flags[i] = fl; c.arrive[i] = arrive; c.len[i] = len; c.dg[i] = dg;
      c.due[i] = send === 'q' ? sent + (f[2] === '' ? 0 : parseInt(f[2], 36)) : sent;
      c.arr[i] = arrive ? c.due[i] + (f[3] === '' ? 0 : parseInt(f[3], 36)) : -1;
      if (send === 'q' || send === 'l' || send === 'm') c.seq[i] = seq++; else c.seq[i] = -1;
      const end = c.arr[i] >= 0 ? c.arr[i] : (c.fate[i] === 7 ? c.due[i] : sent);
      c.span = Math.max(c.span, end - sent);
    }
    return c;
  }
  const links = D.links.map(function (L) { L.c = decode(L); return L; });
  const endT = Math.max(D.end, 1e6);

  function pad(v, w) { let s = String(v); while (s.length < w) s = '0' + s; return s; }
  // vt formats a virtual time as the trace does: hh:mm:ss.nnnnnnnnn.
  function vt(ns) {
    const sec = Math.floor(ns / 1e9), frac = ns - sec * 1e9;
    return pad(Math.floor(sec / 3600), 2) + ':' + pad(Math.floor(sec / 60) % 60, 2) + ':' + pad(sec % 60, 2) + '.' + pad(frac, 9);
  }
  // traceLines rebuilds the trace lines (as -trace writes them) of copy i of link L.
  function traceLines(L, i) {
    const c = L.c, who = L.src + '->' + L.dst, id = c.seq[i] >= 0 ? '#' + c.seq[i] : '#-';
    let first = vt(c.sent[i]) + ' ' + who + ' ' + id + ' len=' + c.len[i] + ' ' + SEND[c.send[i]];
    if (c.send[i] === 'q') first += ' due=' + vt(c.due[i]);
    if ('qlm'.indexOf(c.send[i]) >= 0) {
      if (c.flags[i] & 1) first += ' dup';
      if (c.flags[i] & 2) first += ' corrupt';
      if (c.flags[i] & 4) first += ' reorder';
    }
    const out = [[c.sent[i], first]];
    if (c.arrive[i]) {
      let a = vt(c.arr[i]) + ' ' + who + ' ' + id + ' len=' + c.len[i] + ' ' + ARR[c.arrive[i]];
      if (c.arrive[i] === 'N') a += ' port=' + L.port;
      out.push([c.arr[i], a]);
    }
    return out;
  }
  function lowerSent(c, t) { let lo = 0, hi = c.n; while (lo < hi) { const m = (lo + hi) >> 1; if (c.sent[m] < t) lo = m + 1; else hi = m; } return lo; }
  function lowerDG(c, d) { let lo = 0, hi = c.n; while (lo < hi) { const m = (lo + hi) >> 1; if (c.dg[m] < d) lo = m + 1; else hi = m; } return lo; }
  function copiesOf(L, d) { const c = L.c, out = []; for (let i = lowerDG(c, d); i < c.n && c.dg[i] === d; i++) out.push(i); return out; }

  // ---- view ----
  const view = { t0: 0, t1: endT, sel: null, pinned: false, mode: '' };
  // The plot's width, measured once per render: reading layout per copy would force a
  // layout each time the diagram has changed.
  let PW = 0;
  function measure() { PW = Math.max(600, document.getElementById('main').clientWidth) - ML - MR; }
  function plotW() { return PW; }
  function X(t) { return ML + (t - view.t0) / (view.t1 - view.t0) * plotW(); }
  function T(x) { return view.t0 + (x - ML) / plotW() * (view.t1 - view.t0); }
  function setView(t0, t1) {
    const minW = 1000, w = Math.max(minW, Math.min(t1 - t0, endT * 1.2));
    let a = t0, b = t0 + w;
    if (a < -endT * 0.1) { a = -endT * 0.1; b = a + w; }
    if (b > endT * 1.1) { b = endT * 1.1; a = b - w; }
    view.t0 = a; view.t1 = b;
    render();
  }
  function zoom(f, at) {
    if (at === undefined) at = (view.t0 + view.t1) / 2;
    setView(at - (at - view.t0) * f, at + (view.t1 - at) * f);
  }
  function fmtT(ns, step) {
    const s = ns / 1e9;
    if (step >= 60e9 && Math.abs(s) >= 60) { // whole minutes and more: h:mm:ss
      const a = Math.round(Math.abs(s)), h = Math.floor(a / 3600);
      return (s < 0 ? '-' : '') + (h ? h + ':' + pad(Math.floor(a / 60) % 60, 2) : Math.floor(a / 60)) + ':' + pad(a % 60, 2);
    }
    let dp = 0;
    if (step < 1e9) dp = Math.min(6, Math.ceil(-Math.log10(step / 1e9) - 1e-9));
    return s.toFixed(dp) + 's';
  }
  function niceStep(span, px) {
    const raw = span / Math.max(1, px / 90);
    if (raw > 30e9) { // minutes and hours: steps a clock shows
      for (const m of [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200]) if (m * 1e9 >= raw) return m * 1e9;
    }
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  function el(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function axis(svg, y0, y1) {
    const st = niceStep(view.t1 - view.t0, plotW());
    const g = el('g', {});
    for (let t = Math.ceil(view.t0 / st) * st; t <= view.t1; t += st) {
      const x = X(t).toFixed(1);
      g.appendChild(el('line', { class: 'grid', x1: x, x2: x, y1: y0, y2: y1 }));
      const edge = X(t) > ML + plotW() - 24 ? 'end' : 'middle'; // the last label stays inside
      g.appendChild(el('text', { x: x, y: y1 + 12, 'text-anchor': edge }, fmtT(t, st)));
    }
    svg.appendChild(g);
  }
  // faultZones pairs partition/heal and crash/restart into shaded stretches.
  // With labels, the labels go in a group of their own, returned for the caller to add
  // last, above whatever it draws: a label that takes a lower row (close faults) then
  // stays readable over the lanes.
  function faultMarks(svg, y0, y1, labels) {
    const g = el('g', {}), gl = el('g', {});
    let cut = null, crash = null;
    const rows = []; // where the last label of each row of labels ends, so that close faults' labels do not overlap
    const zone = function (a, b, cls) {
      const xa = Math.max(ML, X(a)), xb = Math.min(ML + plotW(), X(b));
      if (xb > xa) g.appendChild(el('rect', { class: cls, x: xa.toFixed(1), y: y0, width: (xb - xa).toFixed(1), height: y1 - y0 }));
    };
    for (const f of D.faults) {
      const at = f[0], what = f[1];
      if (/^partition/.test(what)) cut = at;
      if (/^heal/.test(what) && cut !== null) { zone(cut, at, 'cutzone'); cut = null; }
      if (/^crash/.test(what)) crash = at;
      if (/^restart/.test(what) && crash !== null) { zone(crash, at, 'crashzone'); crash = null; }
      const x = X(at);
      if (x < ML || x > ML + plotW()) continue;
      g.appendChild(el('line', { class: 'fault', x1: x.toFixed(1), x2: x.toFixed(1), y1: y0, y2: y1 }));
      if (labels) {
        let r = 0;
        while (r < rows.length && x + 3 < rows[r] + 6) r++;
        rows[r] = x + 3 + what.length * 6.8; // 11px DejaVu Sans: at most about 6.8px a character
        gl.appendChild(el('text', { class: 'faultlabel', x: (x + 3).toFixed(1), y: y0 + 10 + r * 14 }, what));
      }
    }
    if (cut !== null) zone(cut, endT * 1.1, 'cutzone');
    if (crash !== null) zone(crash, endT * 1.1, 'crashzone');
    svg.appendChild(g);
    return gl;
  }

  // ---- the lane diagram ----
  const laneY = function (h) { return LANETOP + D.hosts.indexOf(h) * LANEGAP; };
  function pairCount(L) { let n = 0; for (const M of links) if ((M.src === L.src && M.dst === L.dst) || (M.src === L.dst && M.dst === L.src)) n++; return n; }
  function visible(L) {
    const c = L.c;
    return [lowerSent(c, view.t0 - c.span), lowerSent(c, view.t1 + 1)];
  }
  function keptEnd(L) { return L.dropped > 0 && L.c.n > 0 ? L.c.sent[L.c.n - 1] : Infinity; }

  function drawLanes() {
    const svg = document.getElementById('lanes');
    const H = LANETOP + (D.hosts.length - 1) * LANEGAP + 34;
    svg.setAttribute('height', H);
    svg.setAttribute('viewBox', '0 0 ' + (plotW() + ML + MR) + ' ' + H);
    svg.textContent = '';
    axis(svg, LANETOP - 20, H - 20);
    const faultLabels = faultMarks(svg, LANETOP - 20, H - 20, true);
    for (const h of D.hosts) {
      const y = laneY(h);
      svg.appendChild(el('line', { class: 'lane', x1: ML, x2: ML + plotW(), y1: y, y2: y }));
      svg.appendChild(el('text', { class: 'lanelabel', x: 4, y: y + 4 }, h));
    }
    let total = 0, beyond = false;
    for (const L of links) {
      const v = visible(L);
      total += v[1] - v[0];
      if (view.t1 > keptEnd(L)) beyond = true;
    }
    const parts = [];
    if (total <= MAXDRAW && !beyond) {
      view.mode = 'copies';
      links.forEach(function (L, k) { drawCopies(parts, L, k); });
      status(total + ' copies in view, each drawn as a line from its sending host at send time to its receiving host at arrival');
    } else {
      view.mode = 'bars';
      links.forEach(function (L, k) { drawBars(parts, L, k); });
      status('aggregated: more than ' + MAXDRAW + ' copies in view, so each bar shows the share of each fate among the copies sent in ' +
        fmtT(BINPX / plotW() * (view.t1 - view.t0), BINPX / plotW() * (view.t1 - view.t0) / 100) + '; zoom in (wheel, or click a bar) to see them one by one');
    }
    const clip = el('clipPath', { id: 'plotclip' });
    clip.appendChild(el('rect', { x: ML, y: 0, width: plotW(), height: H }));
    svg.appendChild(clip);
    const g = el('g', { id: 'marks', 'clip-path': 'url(#plotclip)' });
    g.innerHTML = parts.join('');
    svg.appendChild(g);
    svg.appendChild(faultLabels);
  }
  function drawCopies(parts, L, k) {
    const c = L.c, v = visible(L), ys = laneY(L.src), yd = laneY(L.dst), dir = yd > ys ? 1 : -1;
    for (let i = v[0]; i < v[1]; i++) {
      const f = c.fate[i], xs = X(c.sent[i]);
      let d;
      if (c.arr[i] >= 0) {
        const xa = X(c.arr[i]);
        d = 'M' + xs.toFixed(1) + ' ' + ys + 'L' + xa.toFixed(1) + ' ' + yd;
        if (f === 5 || f === 6) d += cross(xa, yd - dir * 6);
      } else if (f === 7) {
        const xa = X(Math.min(c.due[i], endT));
        d = 'M' + xs.toFixed(1) + ' ' + ys + 'L' + xa.toFixed(1) + ' ' + ((ys + yd) / 2);
      } else {
        const ye = ys + dir * 16;
        d = 'M' + xs.toFixed(1) + ' ' + ys + 'L' + xs.toFixed(1) + ' ' + ye + cross(xs, ye);
      }
      const hl = view.sel && view.sel[0] === k && view.sel[1] === c.dg[i] ? ' hl' : '';
      parts.push('<path class="c f' + f + hl + '" data-k="' + k + ':' + i + '" stroke="' + D.colours[f] + '" d="' + d + '"/>');
      if ((c.flags[i] & 2) && c.arrive[i] === 'D') {
        parts.push('<circle class="corrupt" data-k="' + k + ':' + i + '" fill="' + D.corrupt + '" r="3.5" cx="' + X(c.arr[i]).toFixed(1) + '" cy="' + (yd - dir * 4) + '"/>');
      }
    }
  }
  function cross(x, y) {
    const a = (x - 4).toFixed(1), b = (x + 4).toFixed(1);
    return 'M' + a + ' ' + (y - 4) + 'L' + b + ' ' + (y + 4) + 'M' + b + ' ' + (y - 4) + 'L' + a + ' ' + (y + 4);
  }
  function binCounts(L) {
    const nb = Math.ceil(plotW() / BINPX), bins = [];
    for (let b = 0; b < nb; b++) bins.push(new Float64Array(8));
    const c = L.c, kept = keptEnd(L);
    const binOf = function (t) { return Math.floor((X(t) - ML) / BINPX); };
    for (let i = lowerSent(c, view.t0); i < c.n && c.sent[i] <= view.t1; i++) {
      const b = binOf(c.sent[i]);
      if (b >= 0 && b < nb) bins[b][c.fate[i]]++;
    }
    if (kept !== Infinity) { // beyond the copies kept: the per-bucket counts
      for (let j = Math.max(0, Math.floor(view.t0 / D.width)); j < L.counts.length && j * D.width <= view.t1; j++) {
        const t = j * D.width;
        if (t <= kept) continue;
        const b = binOf(t);
        if (b >= 0 && b < nb) for (let f = 0; f < 8; f++) bins[b][f] += L.counts[j][f];
      }
    }
    return bins;
  }
  function drawBars(parts, L, k) {
    // Each bar is the share of each fate among the copies sent in its stretch of time,
    // the link's whole room tall: counts per bar vary with how the stretches fall between
    // sends, shares do not. The rare fates are drawn first, next to the sender's lane.
    const ys = laneY(L.src), yd = laneY(L.dst), dir = yd > ys ? 1 : -1;
    const room = (Math.abs(yd - ys) - 14) / pairCount(L);
    // Each link's bars grow from its own sender's lane, so the two directions of a pair
    // take the two halves of the room between their lanes.
    const y0 = ys;
    const bins = binCounts(L), order = [5, 3, 4, 6, 2, 1, 7, 0];
    const paths = ['', '', '', '', '', '', '', ''];
    let mx = 0;
    bins.forEach(function (b, j) {
      let s = 0;
      for (let f = 0; f < 8; f++) s += b[f];
      if (!s) return;
      mx = Math.max(mx, s);
      let y = y0;
      for (const f of order) {
        if (!b[f]) continue;
        const h = Math.max(0.8, b[f] / s * room);
        const top = dir > 0 ? y : y - h;
        paths[f] += 'M' + (ML + j * BINPX) + ' ' + top.toFixed(1) + 'h' + BINPX + 'v' + h.toFixed(1) + 'h-' + BINPX + 'z';
        y += dir * h;
      }
    });
    // One path per fate (not a rectangle per bar): the pointer's x finds the bar.
    paths.forEach(function (d, f) {
      if (d) parts.push('<path class="bar f' + f + '" data-bars="' + k + '" fill="' + D.colours[f] + '" d="' + d + '"/>');
    });
    // Both captions sit in the gap between the halves: the second direction's on the right.
    const ty = y0 + dir * (room + 11) + (dir > 0 ? 0 : 8);
    const tx = ML + 4 + (dir < 0 && pairCount(L) > 1 ? plotW() / 2 : 0);
    parts.push('<text x="' + tx.toFixed(1) + '" y="' + ty.toFixed(1) + '">' + L.src + '\u2192' + L.dst +
      ': each bar is the share of each fate among the copies sent in its ' + fmtT(BINPX / plotW() * (view.t1 - view.t0), BINPX / plotW() * (view.t1 - view.t0) / 100) +
      ' (up to ' + mx + ' copies)</text>');
  }

  // ---- queue ----
  function drawQueue() {
    const svg = document.getElementById('queue'), H = 130, top = 22, bot = H - 20;
    svg.setAttribute('height', H);
    svg.setAttribute('viewBox', '0 0 ' + (plotW() + ML + MR) + ' ' + H);
    svg.textContent = '';
    axis(svg, top, bot);
    faultMarks(svg, top, bot, false);
    svg.appendChild(el('text', { class: 'title', x: 4, y: 13 }, 'Copies on the link (netem\u2019s queue, which every copy in flight is in): the most in each ' + fmtT(D.width, D.width) + ' bucket'));
    let mx = 1;
    const j0 = Math.max(0, Math.floor(view.t0 / D.width)), j1 = Math.ceil(view.t1 / D.width);
    for (const L of links) for (let j = j0; j <= j1 && j < L.qmax.length; j++) mx = Math.max(mx, L.qmax[j]);
    const lim = D.meta.Limit;
    if (lim > 0 && lim <= mx * 1.5) mx = Math.max(mx, lim);
    const Y = function (v) { return bot - v / mx * (bot - top); };
    svg.appendChild(el('line', { class: 'axis', x1: ML, x2: ML + plotW(), y1: bot, y2: bot }));
    svg.appendChild(el('text', { x: ML - 4, y: top + 4, 'text-anchor': 'end' }, String(mx)));
    svg.appendChild(el('text', { x: ML - 4, y: bot, 'text-anchor': 'end' }, '0'));
    if (lim > 0 && lim <= mx) {
      svg.appendChild(el('line', { class: 'limit', x1: ML, x2: ML + plotW(), y1: Y(lim), y2: Y(lim) }));
      svg.appendChild(el('text', { x: ML + plotW() - 4, y: Y(lim) - 3, 'text-anchor': 'end' }, 'limit ' + lim));
    }
    const qcol = ['#4c78a8', '#f58518'];
    links.forEach(function (L, k) {
      let d = '';
      for (let j = j0; j <= j1 && j < L.qmax.length; j++) {
        const xa = Math.max(ML, X(j * D.width)), xb = Math.min(ML + plotW(), X((j + 1) * D.width)), y = Y(L.qmax[j]).toFixed(1);
        if (xa >= xb) continue;
        d += (d ? 'L' : 'M') + xa.toFixed(1) + ' ' + y + 'L' + xb.toFixed(1) + ' ' + y;
      }
      if (d) svg.appendChild(el('path', { class: 'qline', stroke: qcol[k % 2], d: d }));
      if (links.length > 1) svg.appendChild(el('text', { x: ML + 8 + k * 140, y: top + 12, fill: qcol[k % 2] }, L.src + '\u2192' + L.dst));
    });
  }

  // ---- intervals: the receiver beside the ground truth ----
  function drawIntervals() {
    const svg = document.getElementById('intervals');
    const stream = D.meta.App !== 'ping' && links.length > 0;
    const rows = stream ?
      [['received (unique) / delivered', 2, 1], ['lost (the receiver declares a loss an interval or more after it) / never delivered (by send time)', 3, 2], ['duplicates / extra copies', 4, 3], ['reordered', 5, 4]] :
      [['delivered', -1, 1], ['never delivered (by send time)', -1, 2], ['extra copies', -1, 3], ['reordered', -1, 4]];
    const RH = 54, top = 30, H = top + rows.length * RH * (stream ? 1 : links.length) + 22;
    svg.setAttribute('height', H);
    svg.setAttribute('viewBox', '0 0 ' + (plotW() + ML + MR) + ' ' + H);
    svg.textContent = '';
    axis(svg, top, H - 22);
    svg.appendChild(el('text', { class: 'title', x: 4, y: 13 }, stream ?
      'Per interval: the receiver\u2019s summary (blue, left) beside the network\u2019s ground truth (grey, right)' :
      'Per interval of ' + fmtT(D.every, D.every) + ': what each link did (ground truth)'));
    const parts = [];
    let row = 0;
    const ls = stream ? [links[0]] : links;
    ls.forEach(function (L) {
      rows.forEach(function (r) {
        const y0 = top + row * RH + 12, y1 = top + (row + 1) * RH - 6;
        let mx = 0;
        const inView = function (a, b) { return b >= view.t0 && a <= view.t1; };
        if (stream) for (const s of D.receiver) if (inView(s[0], s[1])) mx = Math.max(mx, s[r[1]]);
        for (const n of L.net) if (inView(n[0] * D.every, (n[0] + 1) * D.every)) mx = Math.max(mx, n[r[2]]);
        const any = mx > 0;
        mx = Math.max(mx, 1);
        const paths = { rx: '', nx: '' };
        const bar = function (cls, a, b, v) {
          const xa = X(a), xb = X(b);
          if (xb < ML || xa > ML + plotW() || !v) return;
          const h = v / mx * (y1 - y0), x = Math.max(ML, xa), w = Math.max(0.6, Math.min(ML + plotW(), xb) - x - 0.3);
          paths[cls] += 'M' + x.toFixed(1) + ' ' + (y1 - h).toFixed(1) + 'h' + w.toFixed(1) + 'v' + h.toFixed(1) + 'h' + (-w).toFixed(1) + 'z';
        };
        if (stream) {
          D.receiver.forEach(function (s, i) { const m = (s[0] + s[1]) / 2; bar('rx', s[0], m, s[r[1]]); });
          L.net.forEach(function (n) { const a = n[0] * D.every; bar('nx', a + D.every / 2, a + D.every, n[r[2]]); });
        } else {
          L.net.forEach(function (n) { const a = n[0] * D.every; bar('nx', a, a + D.every, n[r[2]]); });
        }
        for (const cls of ['rx', 'nx']) if (paths[cls]) parts.push('<path class="' + cls + '" data-iv="1" d="' + paths[cls] + '"/>');
        parts.push('<line class="axis" x1="' + ML + '" x2="' + (ML + plotW()) + '" y1="' + y1 + '" y2="' + y1 + '"/>');
        parts.push('<text x="' + (ML + 4) + '" y="' + (y0 - 3) + '">' + (stream ? '' : L.src + '\u2192' + L.dst + ': ') + r[0] + (any ? ' (up to ' + mx + ')' : ': none in view') + '</text>');
        row++;
      });
    });
    const g = el('g', {});
    g.innerHTML = parts.join('');
    svg.appendChild(g);
  }

  function status(s) { document.getElementById('status').textContent = s; }
  function render() { measure(); drawLanes(); drawQueue(); drawIntervals(); }

  // ---- details ----
  function showDatagram(k, d) {
    const L = links[k], idx = copiesOf(L, d), box = document.getElementById('detail');
    box.textContent = '';
    const h = document.createElement('p');
    if (!idx.length) {
      h.textContent = L.src + '\u2192' + L.dst + ' datagram ' + d + ': ' + (d < L.datagrams ?
        'beyond the first ' + L.kept + ' copies this page keeps one by one (the bars still count it)' : 'no such datagram (the link carried ' + L.datagrams + ')');
      box.appendChild(h);
      return;
    }
    const c = L.c;
    h.innerHTML = '';
    h.appendChild(document.createTextNode(L.src + '\u2192' + L.dst + ' datagram ' + d + ' (the ' + ordinal(d + 1) + ' the sender wrote), ' + (idx.length > 1 ? idx.length + ' copies ' : 'one copy ')));
    idx.forEach(function (i, n) {
      const s = document.createElement('b');
      s.style.color = D.colours[c.fate[i]];
      s.textContent = (n ? '; ' : '') + (c.seq[i] >= 0 ? '#' + c.seq[i] : 'refused before the link') + (c.flags[i] & 1 ? ' (netem\u2019s duplicate)' : '') +
        ': ' + D.fates[c.fate[i]] + ((c.flags[i] & 2) && c.arrive[i] === 'D' ? ', corrupted' : '');
      h.appendChild(s);
    });
    box.appendChild(h);
    let lines = [];
    for (const i of idx) lines = lines.concat(traceLines(L, i));
    lines.sort(function (a, b) { return a[0] - b[0]; });
    const pre = document.createElement('pre');
    pre.id = 'tracelines';
    pre.textContent = lines.map(function (x) { return x[1]; }).join('\n');
    box.appendChild(pre);
  }
  function ordinal(n) { const s = ['th', 'st', 'nd', 'rd'], v = n % 100; return n + (s[(v - 20) % 10] || s[v] || s[0]); }
  function showBin(k, j) {
    const L = links[k], bins = binCounts(L), b = bins[j], box = document.getElementById('detail');
    const a = T(ML + j * BINPX), e = T(ML + (j + 1) * BINPX);
    const parts = [];
    for (let f = 0; f < 8; f++) if (b[f]) parts.push(D.fates[f] + ' ' + b[f]);
    box.textContent = L.src + '\u2192' + L.dst + ', copies sent in ' + fmtT(a, 1e3) + ' \u2013 ' + fmtT(e, 1e3) + ': ' + parts.join(', ');
  }
  // showInterval shows the receiver's summary and the network's counts for the interval at t.
  function showInterval(t) {
    const box = document.getElementById('detail'), parts = [];
    for (const s of D.receiver) {
      if (t >= s[0] && t < s[1]) parts.push('receiver, ' + fmtT(s[0], 1e6) + ' \u2013 ' + fmtT(s[1], 1e6) + ': unique ' + s[2] + ', lost ' + s[3] + ', duplicates ' + s[4] + ', reordered ' + s[5]);
    }
    const i = Math.floor(t / D.every);
    for (const L of links) for (const n of L.net) if (n[0] === i) parts.push('network (ground truth) ' + L.src + '\u2192' + L.dst + ', ' + fmtT(i * D.every, 1e6) + ' \u2013 ' + fmtT((i + 1) * D.every, 1e6) + ': delivered ' + n[1] + ', never delivered (sent in it) ' + n[2] + ', extra copies ' + n[3] + ', reordered ' + n[4]);
    box.textContent = parts.length ? parts.join('; ') : 'no interval here';
  }
  function hover(ev, click, x) {
    const t = ev.target, k = t.getAttribute && t.getAttribute('data-k');
    if (k) {
      const p = k.split(':'), L = links[+p[0]], d = L.c.dg[+p[1]];
      if (click) { view.sel = [+p[0], d]; view.pinned = true; drawLanes(); }
      if (click || !view.pinned) showDatagram(+p[0], d);
      return;
    }
    if (view.pinned && !click) return;
    const b = t.getAttribute && t.getAttribute('data-bars');
    if (b !== null && b !== undefined && b !== '') { showBin(+b, Math.floor((x - ML) / BINPX)); return; }
    if (t.getAttribute && t.getAttribute('data-iv')) showInterval(T(x));
  }

  // ---- input: wheel zoom, drag pan, buttons, search ----
  for (const id of ['lanes', 'queue', 'intervals']) {
    const svg = document.getElementById(id);
    const px = function (ev) { const r = svg.getBoundingClientRect(); return (ev.clientX - r.left) / r.width * (plotW() + ML + MR); };
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      zoom(Math.pow(1.0015, ev.deltaY), T(px(ev)));
    }, { passive: false });
    let drag = null;
    svg.addEventListener('mousedown', function (ev) { drag = { x: px(ev), t0: view.t0, t1: view.t1, moved: false }; svg.classList.add('drag'); });
    window.addEventListener('mousemove', function (ev) {
      if (!drag) return;
      const dx = px(ev) - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (!drag.moved) return;
      const dt = dx / plotW() * (drag.t1 - drag.t0);
      setView(drag.t0 - dt, drag.t1 - dt);
    });
    window.addEventListener('mouseup', function () { svg.classList.remove('drag'); setTimeout(function () { drag = null; }, 0); });
    svg.addEventListener('mousemove', function (ev) { if (!drag) hover(ev, false, px(ev)); });
    svg.addEventListener('click', function (ev) {
      if (drag && drag.moved) return;
      if (ev.target.getAttribute('data-k')) hover(ev, true, px(ev));
      else if (ev.target.getAttribute('data-bars')) zoom(0.1, T(px(ev)));
      else { view.pinned = false; view.sel = null; drawLanes(); }
    });
  }
  document.getElementById('zin').addEventListener('click', function () { zoom(0.5); });
  document.getElementById('zout').addEventListener('click', function () { zoom(2); });
  document.getElementById('zall').addEventListener('click', function () { setView(0, endT); });
  function find(k, d) {
    const L = links[k], idx = copiesOf(L, d);
    if (!idx.length) { showDatagram(k, d); return false; }
    const c = L.c, t = c.sent[idx[0]];
    let e = t;
    for (const i of idx) e = Math.max(e, c.arr[i] >= 0 ? c.arr[i] : c.due[i]);
    const w = Math.max(40 * (L.step || 1e7), 3 * (e - t));
    view.sel = [k, d]; view.pinned = true;
    setView(t - w / 3, t + w * 2 / 3);
    if (view.mode !== 'copies') setView(t - (e - t) - 1e6, e + (e - t) + 1e6);
    showDatagram(k, d);
    return true;
  }
  document.getElementById('find').addEventListener('submit', function (ev) {
    ev.preventDefault();
    const v = document.getElementById('search').value.trim();
    if (!/^\d+$/.test(v)) { document.getElementById('detail').textContent = 'search: type a datagram number (0, 1, 2, ...)'; return; }
    find(+document.getElementById('findlink').value, +v);
  });
  window.addEventListener('resize', render);

  // ---- static parts ----
  document.getElementById('title').textContent = D.meta.Title;
  const meta = document.getElementById('meta');
  const row = function (k, v) { if (v === '' || v === undefined) return; const dt = document.createElement('dt'), dd = document.createElement('dd'); dt.textContent = k; dd.textContent = v; meta.appendChild(dt); meta.appendChild(dd); };
  row('seed', String(D.meta.Seed));
  row('netem profile', D.meta.Netem || '(none: a perfect link)');
  row('fault schedule', D.meta.Faults || '(none)');
  row('replay', D.meta.Replay + ' -html FILE');
  const kept = links.map(function (L) { return L.src + '\u2192' + L.dst + ' ' + L.datagrams + ' datagrams, ' + (L.kept + L.dropped) + ' copies' + (L.dropped ? ' (the first ' + L.kept + ' kept one by one, the rest as counts)' : ''); });
  row('links', kept.join('; '));
  const legend = document.getElementById('legend');
  for (let f = 0; f < 8; f++) {
    let n = 0;
    for (const L of links) n += L.totals[f];
    const s = document.createElement('span');
    s.className = 'k';
    s.innerHTML = '<i style="background:' + D.colours[f] + '"></i>';
    s.appendChild(document.createTextNode(D.fates[f] + ' ' + n));
    s.setAttribute('data-fate', f);
    legend.appendChild(s);
  }
  let nc = 0;
  for (const L of links) nc += L.corrupt;
  const cs = document.createElement('span');
  cs.className = 'k';
  cs.innerHTML = '<i class="dot" style="background:' + D.corrupt + '"></i>';
  cs.appendChild(document.createTextNode('corrupted (a dot where it arrived) ' + nc));
  legend.appendChild(cs);
  const sel = document.getElementById('findlink');
  links.forEach(function (L, k) { const o = document.createElement('option'); o.value = k; o.textContent = 'on ' + L.src + '\u2192' + L.dst; sel.appendChild(o); });
  document.getElementById('report').textContent = D.meta.Report;
  document.getElementById('help').innerHTML =
    '<p>Time runs left to right (virtual time of the simulation; wheel to zoom, drag to pan, click a bar to zoom into it). ' +
    'Each host has a lane. Each copy of a datagram is a line from its sender\u2019s lane at the time it was sent to the receiver\u2019s lane at the time it arrived, ' +
    'coloured by its fate: <b>in order</b>, <b>reordered</b> (the datagram\u2019s first copy arrived after a later datagram\u2019s), <b>duplicate</b> (a copy after the first one), ' +
    '<b>lost</b> by the loss model, dropped at the queue <b>limit</b>, <b>cut</b> by a partition, a down link or a crashed host, <b>refused</b> (no listener or a full receive buffer), still <b>in flight</b> at the end. ' +
    'A copy that never left its sender ends in a cross at its send time; corrupted copies have a dot where they arrived. ' +
    'Shaded stretches are partitions (grey) and crashed hosts (red); dashed lines are the faults. ' +
    'With more than ' + MAXDRAW + ' copies in view the diagram shows per-bar counts instead. The page holds up to ' + D.max_copies +
    ' copies one by one and counts the rest per ' + fmtT(D.width, D.width) + ' bucket.</p>';
  window.distView = {
    setView: setView, find: find, view: view,
    // traceLines: every line of the text trace the page can rebuild, for its tests.
    traceLines: function () {
      const out = [];
      links.forEach(function (L) { for (let i = 0; i < L.c.n; i++) for (const x of traceLines(L, i)) out.push(x[1]); });
      return out;
    },
    drawn: function () {
      const n = [0, 0, 0, 0, 0, 0, 0, 0];
      document.querySelectorAll('#lanes path.c').forEach(function (p) { n[+p.getAttribute('class').match(/f(\d)/)[1]]++; });
      return n;
    }
  };
  // A view in the address: #view=T0,T1 (seconds) or #find=N (a datagram of the first link).
  const hv = /view=([\d.]+),([\d.]+)/.exec(location.hash), hf = /find=(\d+)/.exec(location.hash);
  if (hf) find(0, +hf[1]);
  else if (hv) setView(+hv[1] * 1e9, +hv[2] * 1e9);
  else render();
  // How long decoding and the first drawing took, for whoever measures the page.
  document.body.dataset.renderMs = Math.round(performance.now() - t0);
})();
