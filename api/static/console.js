/* MeStocker operator console: routing decisions, reorder proposals, outbox backlog, last eval.
 * Vanilla JavaScript, same origin only (CSP self), same token flow as the web chat (app.js). */
(() => {
  "use strict";

  const STORE = { token: "mestocker.token", email: "mestocker.email" };
  const SECOND_FACTOR_CODES = new Set(["mfa_required", "mfa_invalid", "mfa_enrolment_required"]);
  const COLORS = ["#0f766e", "#b45309", "#1d4ed8", "#9d174d", "#4d7c0f", "#6d28d9", "#b91c1c", "#0e7490"];
  const BUCKETS = 12;
  const $ = (id) => document.getElementById(id);

  class HttpError extends Error {
    constructor(status, message, code) { super(message); this.status = status; this.code = code; }
  }

  async function detailOf(response) {
    try {
      const body = await response.clone().json();
      return { detail: typeof body.detail === "string" ? body.detail : null, code: body.code };
    } catch { return { detail: null, code: undefined }; }
  }

  async function api(path, options = {}) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${sessionStorage.getItem(STORE.token)}` };
    if (options.body) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { ...options, headers });
    if (!response.ok) {
      const { detail, code } = await detailOf(response);
      if (response.status === 401) { showLogin("Tu sesión terminó. Inicia sesión de nuevo."); }
      throw new HttpError(response.status, detail || `El servidor respondió con un error (${response.status}).`, code);
    }
    return response.json();
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value; else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function svg(tag, attrs = {}) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    return node;
  }

  const cop = (value) => `$${Number(value).toLocaleString("es-CO")}`;
  const bogota = (iso) => new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`)
    .toLocaleString("es-CO", { timeZone: "America/Bogota", dateStyle: "short", timeStyle: "medium" });

  // ------------------------------------------------------------------ login

  function showLogin(message) {
    sessionStorage.removeItem(STORE.token);
    $("console-view").hidden = true;
    $("session").hidden = true;
    $("login-view").hidden = false;
    $("login-otp-group").hidden = true;
    $("login-otp").value = "";
    $("login-error").textContent = message || "";
    $("login-error").hidden = !message;
  }

  async function doLogin() {
    const form = new URLSearchParams({ username: $("login-email").value.trim(), password: $("login-password").value });
    const otp = $("login-otp").value.trim();
    if (otp) form.set("otp", otp);
    $("login-submit").disabled = true;
    try {
      const response = await fetch("/v1/auth/token", {
        method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form });
      if (!response.ok) {
        const { detail, code } = await detailOf(response);
        if (SECOND_FACTOR_CODES.has(code)) {
          $("login-error").textContent = detail || "Falta el segundo factor.";
          $("login-error").hidden = false;
          $("login-otp-group").hidden = false;
          $("login-otp").value = "";
          $("login-otp").focus();
          return;
        }
        $("login-error").textContent = response.status === 401 ? "Correo o contraseña incorrectos."
          : (detail || `El servidor respondió con un error (${response.status}).`);
        $("login-error").hidden = false;
        return;
      }
      const pair = await response.json();
      sessionStorage.setItem(STORE.token, pair.access_token);
      sessionStorage.setItem(STORE.email, $("login-email").value.trim());
      $("login-password").value = "";
      showConsole();
    } catch {
      $("login-error").textContent = "No pudimos conectar con MeStocker. Revisa tu conexión e intenta de nuevo.";
      $("login-error").hidden = false;
    } finally {
      $("login-submit").disabled = false;
    }
  }

  function showConsole() {
    $("login-view").hidden = true;
    $("console-view").hidden = false;
    $("session").hidden = false;
    $("session-user").textContent = sessionStorage.getItem(STORE.email) || "";
    refresh();
  }

  // ------------------------------------------------------------------ panels

  function refusal(errorId, error) {
    $(errorId).textContent = error.message;
    $(errorId).hidden = false;
  }

  /* Count decisions per (level → target) series in BUCKETS equal time slices between the oldest and newest row. */
  function series(rows) {
    const times = rows.map((r) => new Date(/[zZ]|[+-]\d\d:\d\d$/.test(r.created_at) ? r.created_at : `${r.created_at}Z`)
      .getTime());
    const start = Math.min(...times);
    const span = Math.max(Math.max(...times) - start, 1);
    const out = new Map();
    rows.forEach((row, i) => {
      const name = `${row.classification} → ${row.policy_target}`;
      if (!out.has(name)) out.set(name, new Array(BUCKETS).fill(0));
      out.get(name)[Math.min(BUCKETS - 1, Math.floor(((times[i] - start) / span) * BUCKETS))] += 1;
    });
    return { start, span, lines: [...out.entries()].sort(([a], [b]) => a.localeCompare(b)) };
  }

  function drawChart(rows) {
    const box = $("routing-chart");
    const legend = $("routing-legend");
    box.replaceChildren();
    legend.replaceChildren();
    if (!rows.length) { box.append(el("p", { class: "hint" }, "Sin decisiones registradas todavía.")); return; }
    const { start, span, lines } = series(rows);
    const W = 560, H = 220, L = 36, B = 28, T = 10, R = 10;
    const top = Math.max(1, ...lines.flatMap(([, counts]) => counts));
    const x = (i) => L + (i * (W - L - R)) / (BUCKETS - 1);
    const y = (v) => H - B - (v * (H - B - T)) / top;
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, "data-series": lines.length });
    chart.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#94a3b8" }));
    chart.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#94a3b8" }));
    for (const [value, label] of [[0, "0"], [top, String(top)]]) {
      const text = svg("text", { x: L - 6, y: y(value) + 4, "text-anchor": "end", "font-size": 11 });
      text.textContent = label;
      chart.append(text);
    }
    for (const [i, label] of [[0, start], [BUCKETS - 1, start + span]]) {
      const text = svg("text", { x: x(i), y: H - 8, "text-anchor": i ? "end" : "start", "font-size": 10 });
      text.textContent = new Date(label).toLocaleTimeString("es-CO", { timeZone: "America/Bogota" });
      chart.append(text);
    }
    lines.forEach(([name, counts], index) => {
      const color = COLORS[index % COLORS.length];
      chart.append(svg("polyline", { points: counts.map((v, i) => `${x(i)},${y(v)}`).join(" "), fill: "none",
        stroke: color, "stroke-width": 2, "data-series": name }));
      counts.forEach((v, i) => {
        if (!v) return;
        const dot = svg("circle", { cx: x(i), cy: y(v), r: 3.5, fill: color, class: "point", "data-series": name,
          "data-count": v });
        const tip = svg("title");
        tip.textContent = `${name}: ${v}`;
        dot.append(tip);
        chart.append(dot);
      });
      legend.append(el("li", { "data-series": name }, el("span", { class: "swatch" }), name));
      legend.lastChild.firstChild.style.background = color;  // CSSOM, not an inline style attribute (CSP)
    });
    box.append(chart);
  }

  async function loadRouting() {
    $("routing-error").hidden = true;
    try {
      const rows = await api("/v1/routing-logs?limit=500");
      drawChart(rows);
      const body = $("routing-rows").querySelector("tbody");
      body.replaceChildren(...rows.slice(0, 20).map((r) => el("tr", { "data-id": r.id },
        el("td", {}, bogota(r.created_at)), el("td", {}, r.agent || "—"), el("td", {}, r.classification),
        el("td", {}, r.policy_target), el("td", {}, r.model || "—"), el("td", {}, r.outcome),
        el("td", {}, String(Math.round(r.latency_ms))))));
    } catch (error) {
      $("routing-chart").replaceChildren();
      $("routing-rows").hidden = true;
      refusal("routing-error", error);
    }
  }

  async function decide(proposal, approve) {
    const po = proposal.purchase_order_id;
    $("proposals-status").textContent = approve ? `Aprobando ${po}…` : `Rechazando ${po}…`;
    try {
      await api(`/v1/fulfillment/purchase-orders/${encodeURIComponent(po)}/${approve ? "approval" : "rejection"}`,
        { method: "POST", body: approve ? undefined : JSON.stringify({ reason: "Rechazada desde la consola" }) });
      $("proposals-status").textContent = approve ? `Orden de compra ${po} aprobada.` : `Orden de compra ${po} rechazada.`;
    } catch (error) {
      $("proposals-status").textContent = error.message;
    }
    loadProposals();
  }

  async function loadProposals() {
    $("proposals-error").hidden = true;
    try {
      const rows = await api("/v1/reorder/proposals");
      const list = $("proposals");
      if (!rows.length) { list.replaceChildren(el("li", { class: "hint" }, "No hay propuestas abiertas.")); return; }
      list.replaceChildren(...rows.map((p) => {
        const item = el("li", { class: "proposal", "data-id": p.id, "data-status": p.status,
          "data-po": p.purchase_order_id || "" },
          el("strong", {}, `${p.kind === "purchase" ? "Compra" : "Traslado"} · ${p.sku} · ${p.warehouse}`),
          el("span", {}, ` — ${p.quantity} u. · ${cop(p.cost_cop)} · ${p.seller_id}`),
          el("p", { class: "explanation" }, p.explanation));
        if (p.purchase_order_id && p.status === "draft") {
          const approve = el("button", { type: "button", class: "approve" }, `Aprobar ${p.purchase_order_id}`);
          const reject = el("button", { type: "button", class: "reject secondary" }, "Rechazar");
          approve.addEventListener("click", () => decide(p, true));
          reject.addEventListener("click", () => decide(p, false));
          item.append(el("div", { class: "actions" }, approve, reject));
        }
        return item;
      }));
    } catch (error) {
      $("proposals").replaceChildren();
      refusal("proposals-error", error);
    }
  }

  async function loadOutbox() {
    try {
      const o = await api("/v1/console/outbox");
      $("outbox").dataset.backlog = o.backlog;
      $("outbox").textContent = o.backlog
        ? `${o.backlog} eventos pendientes · el más antiguo hace ${Math.round(o.lag_seconds)} s`
        : "Sin eventos pendientes.";
    } catch (error) {
      $("outbox").textContent = error.message;
    }
  }

  async function loadEval() {
    const box = $("eval");
    try {
      const r = await api("/v1/console/eval-report");
      if (!r.present) { box.replaceChildren(el("p", { class: "hint", id: "eval-missing" }, "Sin reporte")); return; }
      const splits = Object.entries(r.task_success).map(([name, v]) =>
        el("li", {}, `${name}: ${v === null ? "no medido" : `${(v * 100).toFixed(1)} %`}`));
      box.replaceChildren(
        el("p", {}, `${r.started_at || ""} · modelo ${r.model || "—"}`),
        el("p", { class: r.gate_passed ? "ok" : "error" }, r.gate_passed ? "Compuerta: aprobada"
          : `Compuerta: NO aprobada — ${r.failures.join("; ")}`),
        el("ul", {}, ...splits));
    } catch (error) {
      box.replaceChildren(el("p", { class: "error" }, error.message));
    }
  }

  function refresh() {
    $("routing-rows").hidden = false;
    return Promise.all([loadRouting(), loadProposals(), loadOutbox(), loadEval()]);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => { event.preventDefault(); doLogin(); });
    $("refresh").addEventListener("click", refresh);
    $("logout").addEventListener("click", () => showLogin(""));
    if (sessionStorage.getItem(STORE.token)) showConsole(); else showLogin("");
  });
})();
