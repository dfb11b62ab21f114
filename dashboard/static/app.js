// spyglass dashboard: the little JavaScript the pages need. Every value from the
// database is put into the page with textContent, never as HTML.
"use strict";

function apiPost(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  }).then(async (resp) => {
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.detail ? JSON.stringify(data.detail) : resp.statusText);
    return data;
  });
}

// Waterfall bars, histogram bars, indentation: sizes come from data attributes (the
// Content-Security-Policy forbids inline style attributes).
function layout() {
  document.querySelectorAll(".bar").forEach((el) => {
    el.style.left = el.dataset.offset + "%";
    el.style.width = el.dataset.width + "%";
  });
  document.querySelectorAll(".hbar").forEach((el) => { el.style.height = el.dataset.height + "%"; });
  document.querySelectorAll("details.call").forEach((el) => {
    el.style.marginLeft = (1.2 * Number(el.dataset.depth || 0)) + "em";
  });
}

// Leaderboard: sort by a column; pinned versions (kept in localStorage) stay on top.
function leaderboard() {
  const table = document.getElementById("leaderboard");
  if (!table) return;
  const body = table.tBodies[0];
  const pinned = new Set(JSON.parse(localStorage.getItem("spyglass.pinned") || "[]"));
  let sortCol = -1, ascending = false;
  function value(row, col) {
    const cell = row.cells[col];
    const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
    const num = parseFloat(raw);
    return isNaN(num) ? raw.trim().toLowerCase() : num;
  }
  function arrange() {
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const pa = pinned.has(a.dataset.appId), pb = pinned.has(b.dataset.appId);
      if (pa !== pb) return pa ? -1 : 1;
      if (sortCol < 0) return 0;
      const va = value(a, sortCol), vb = value(b, sortCol);
      const cmp = va < vb ? -1 : va > vb ? 1 : 0;
      return ascending ? cmp : -cmp;
    });
    rows.forEach((r) => {
      r.classList.toggle("pinned", pinned.has(r.dataset.appId));
      r.querySelector("button.pin").textContent = pinned.has(r.dataset.appId) ? "★" : "☆";
      body.appendChild(r);
    });
  }
  table.tHead.querySelectorAll("th").forEach((th, col) => {
    th.addEventListener("click", () => {
      ascending = sortCol === col ? !ascending : false;
      sortCol = col;
      arrange();
    });
  });
  body.querySelectorAll("button.pin").forEach((btn) => {
    btn.addEventListener("click", () => {
      const id = btn.dataset.pin;
      pinned.has(id) ? pinned.delete(id) : pinned.add(id);
      localStorage.setItem("spyglass.pinned", JSON.stringify(Array.from(pinned)));
      arrange();
    });
  });
  arrange();
}

// Record page: human feedback (thumbs, or a score), stored through the API.
function humanFeedback() {
  const form = document.getElementById("human-feedback");
  if (!form) return;
  const status = document.getElementById("human-feedback-status");
  function send(score) {
    const name = form.elements.name.value.trim() || "human";
    status.textContent = "saving…";
    apiPost("/api/records/" + encodeURIComponent(form.dataset.recordId) + "/feedback",
            { name: name, score: score })
      .then(() => { status.textContent = "saved " + name + " = " + score; })
      .catch((err) => { status.textContent = "not saved: " + err.message; });
  }
  form.querySelectorAll("button.thumb").forEach((b) => {
    b.addEventListener("click", () => send(Number(b.dataset.score)));
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const score = parseFloat(form.elements.score.value);
    if (isNaN(score) || score < 0 || score > 1) { status.textContent = "a score is a number from 0 to 1"; return; }
    send(score);
  });
}

// Evaluation page: counts and the latest results, refreshed every 2 s; retry buttons.
function evaluation() {
  const table = document.getElementById("evaluation");
  if (!table) return;
  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) td.className = cls;
    return td;
  }
  function retryButton(td, id) {
    const b = document.createElement("button");
    b.className = "retry";
    b.textContent = "retry";
    b.addEventListener("click", () => {
      b.disabled = true;
      apiPost("/api/feedback/" + encodeURIComponent(id) + "/retry").then(refresh).catch((e) => { b.textContent = e.message; });
    });
    td.appendChild(b);
  }
  function render(data) {
    document.querySelectorAll("#eval-counts [data-status]").forEach((b) => {
      b.textContent = String(data.counts[b.dataset.status] || 0);
    });
    const body = table.tBodies[0];
    body.replaceChildren();
    data.latest.forEach((x) => {
      const row = body.insertRow();
      row.dataset.id = x.feedback_result_id;
      cell(row, x.last_ts);
      cell(row, x.name);
      const rec = cell(row, "");
      const a = document.createElement("a");
      a.href = "/records/" + encodeURIComponent(x.record_id);
      a.textContent = x.record_id;
      rec.appendChild(a);
      cell(row, x.status, "status " + x.status);
      cell(row, x.result === null ? "–" : Number(x.result).toFixed(3));
      cell(row, x.worker);
      cell(row, x.error ? String(x.error).slice(0, 120) : "", "err");
      const last = cell(row, "");
      if (x.status === "failed") retryButton(last, x.feedback_result_id);
    });
  }
  function refresh() {
    return fetch(table.dataset.live, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((d) => { if (d) render(d); })
      .catch(() => {});
  }
  table.querySelectorAll("button.retry").forEach((b) => {
    const td = b.parentElement;
    b.remove();
    retryButton(td, b.dataset.id);
  });
  setInterval(refresh, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  layout();
  leaderboard();
  humanFeedback();
  evaluation();
});
