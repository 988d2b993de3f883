// Narrator's live page: follows /api/events (server-sent events) and keeps the page in step.
// Events: snapshot (everything, sent first on every connection), frame, caption, dead-letter, alert.
"use strict";

const CAPTIONS_SHOWN = 100;
const ALERT_HIGHLIGHT_MS = 60000;

const streamsEl = document.getElementById("streams");
const noStreams = document.getElementById("no-streams");
const statusEl = document.getElementById("status");
const alertsEl = document.getElementById("alerts");
const alertList = document.getElementById("alert-list");
const deadTable = document.getElementById("dead-letters");
const deadBody = deadTable.querySelector("tbody");
const noDead = document.getElementById("no-dead-letters");
const topicsEl = document.getElementById("topics");

let cards = new Map();       // stream id -> card
let deadLetters = new Map(); // key + "\u0000" + reason -> row data

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function clock(millis) {
  const d = new Date(millis);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function seconds(micros) {
  const s = micros / 1e6;
  return Number.isInteger(s) ? s + " s" : s.toFixed(1) + " s";
}

function card(id) {
  let c = cards.get(id);
  if (c) return c;
  const root = el("article", "stream");
  root.dataset.stream = id;
  const title = el("h3");
  title.append(el("span", "stream-id", id));
  const alertBadge = el("span", "badge alert-badge");
  alertBadge.hidden = true;
  const deadBadge = el("span", "badge dead-badge");
  deadBadge.hidden = true;
  title.append(alertBadge, deadBadge);
  const box = el("div", "frame-box");
  const img = el("img", "frame");
  img.alt = "latest frame of " + id;
  img.hidden = true;
  const noFrame = el("span", "no-frame", "no frame yet");
  const frameTime = el("span", "frame-time");
  frameTime.hidden = true;
  box.append(img, noFrame, frameTime);
  const timeline = el("ol", "timeline");
  const none = el("li", "none", "no caption yet");
  timeline.append(none);
  root.append(title, box, timeline);
  c = { root, img, noFrame, frameTime, timeline, none, alertBadge, deadBadge, alerts: 0, frameUrl: null, alertTimer: null };
  cards.set(id, c);
  // keep cards in stream-id order
  const after = [...cards.keys()].sort().find(k => k > id);
  streamsEl.insertBefore(root, after ? cards.get(after).root : null);
  noStreams.hidden = true;
  refreshDeadBadge(id);
  return c;
}

function showFrame(f) {
  const c = card(f.stream);
  if (c.frameUrl === f.url) return;
  c.frameUrl = f.url;
  // swap only once the new image has loaded, so the picture never blinks
  const next = new Image();
  next.onload = () => {
    if (c.frameUrl !== f.url) return;
    c.img.src = next.src;
    c.img.hidden = false;
    c.noFrame.hidden = true;
    c.frameTime.textContent = clock(f.timestampMicros / 1000) + (f.source === "segments" ? " (segment end)" : "");
    c.frameTime.hidden = false;
  };
  next.src = f.url;
}

function addCaption(cap, isNew) {
  const c = card(cap.streamId);
  c.none.hidden = true;
  const li = el("li", cap.error ? "caption error" : "caption");
  if (isNew) li.classList.add("new");
  li.dataset.windowEnd = cap.windowEndMicros;
  const time = el("time", null, clock(cap.windowEndMicros / 1000));
  time.title = "window " + seconds(cap.windowEndMicros - cap.windowStartMicros) + " ending at this time (event time)";
  const text = el("span", "text", cap.error ? "no caption: " + cap.error : cap.text);
  const meta = el("span", "meta", "clip " + cap.clipIndex + " · " + seconds(cap.windowEndMicros - cap.windowStartMicros)
      + " window · " + cap.latency.totalMs + " ms" + (cap.promptVersion ? " · prompt " + cap.promptVersion : ""));
  li.append(time, text, meta);
  c.timeline.insertBefore(li, c.timeline.firstChild);
  const items = c.timeline.querySelectorAll("li.caption");
  for (let i = CAPTIONS_SHOWN; i < items.length; i++) items[i].remove();
}

function deadKey(d) {
  return d.key + "\u0000" + d.reason;
}

function setDeadLetter(d) {
  deadLetters.set(deadKey(d), d);
  renderDeadLetters();
  if (cards.has(d.key)) refreshDeadBadge(d.key);
}

function renderDeadLetters() {
  deadBody.replaceChildren();
  const rows = [...deadLetters.values()].sort((a, b) => a.key.localeCompare(b.key) || a.reason.localeCompare(b.reason));
  for (const d of rows) {
    const tr = el("tr");
    tr.dataset.key = d.key;
    tr.dataset.reason = d.reason;
    tr.append(el("td", "key", d.key === "" ? "(no key)" : d.key), el("td", "reason", d.reason), el("td", "count", String(d.count)),
        el("td", "last", clock(d.lastTimeMillis) + " · " + d.lastOriginTopic + ": " + d.lastMessage));
    deadBody.append(tr);
  }
  deadTable.hidden = rows.length === 0;
  noDead.hidden = rows.length > 0;
}

function refreshDeadBadge(id) {
  const c = cards.get(id);
  let total = 0;
  for (const d of deadLetters.values()) if (d.key === id) total += d.count;
  c.deadBadge.textContent = total + " dead letter" + (total === 1 ? "" : "s");
  c.deadBadge.hidden = total === 0;
}

function windowEndOf(alert) {
  const d = alert.details || {};
  if (typeof d.windowEndMicros === "number") return d.windowEndMicros;
  if (d.window && typeof d.window.endMicros === "number") return d.window.endMicros;
  if (d.window && typeof d.window.windowEndMicros === "number") return d.window.windowEndMicros;
  return null;
}

function addAlert(a, isNew) {
  alertsEl.hidden = false;
  const li = el("li", "alert");
  li.dataset.stream = a.stream;
  li.append(el("time", null, clock(a.timeMillis)), el("span", "stream-id", a.stream), el("span", "text", a.text));
  alertList.insertBefore(li, alertList.firstChild);
  const c = card(a.stream);
  c.alerts++;
  c.alertBadge.textContent = c.alerts + " alert" + (c.alerts === 1 ? "" : "s");
  c.alertBadge.hidden = false;
  const end = windowEndOf(a);
  if (end !== null) {
    const li = c.timeline.querySelector('li.caption[data-window-end="' + end + '"]');
    if (li) li.classList.add("alerted");
  }
  if (isNew || Date.now() - a.timeMillis < ALERT_HIGHLIGHT_MS) {
    c.root.classList.add("alerted");
    clearTimeout(c.alertTimer);
    const left = Math.max(1000, ALERT_HIGHLIGHT_MS - Math.max(0, Date.now() - a.timeMillis));
    c.alertTimer = setTimeout(() => c.root.classList.remove("alerted"), left);
  }
}

function snapshot(s) {
  for (const c of cards.values()) { clearTimeout(c.alertTimer); c.root.remove(); }
  cards = new Map();
  deadLetters = new Map();
  alertList.replaceChildren();
  alertsEl.hidden = true;
  noStreams.hidden = false;
  for (const d of s.deadLetters) deadLetters.set(deadKey(d), d);
  renderDeadLetters();
  for (const st of s.streams) {
    card(st.id);
    if (st.frame) showFrame(st.frame);
    for (const cap of st.captions) addCaption(cap, false);
  }
  for (const a of s.alerts) addAlert(a, false);
  const t = s.topics;
  topicsEl.textContent = "Following " + [t.captions, t.frames, t.segments, t.deadLetters, t.alerts].filter(Boolean).join(", ")
      + " (committed records).";
}

function status(cls, text) {
  statusEl.className = "status " + cls;
  statusEl.textContent = text;
}

function connect() {
  const events = new EventSource("api/events");
  events.onopen = () => status("live", "live");
  events.onerror = () => status("reconnecting", "reconnecting…");
  events.addEventListener("snapshot", e => snapshot(JSON.parse(e.data)));
  events.addEventListener("frame", e => showFrame(JSON.parse(e.data)));
  events.addEventListener("caption", e => addCaption(JSON.parse(e.data), true));
  events.addEventListener("dead-letter", e => setDeadLetter(JSON.parse(e.data)));
  events.addEventListener("alert", e => addAlert(JSON.parse(e.data), true));
}

connect();
