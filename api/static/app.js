/* MeStocker web chat: login, one conversation thread per tab, streamed turns, live notifications.
 * Plain JavaScript, no dependencies: the page must work offline and without a build step. */
"use strict";

(() => {
  const DEMO_PASSWORD = "mestocker-demo";
  const STORE = { token: "mestocker.token", email: "mestocker.email", thread: "mestocker.thread",
    log: "mestocker.log", refresh: "mestocker.refresh", expires: "mestocker.expires" };
  // Renew the access token this long before it expires, so a turn never starts with a stale one.
  const REFRESH_MARGIN_MS = 60 * 1000;
  const MAX_STORED_ENTRIES = 200;

  const AGENT_LABELS = { inventory: "Inventario", order: "Pedidos", seller: "Ventas", support: "Soporte",
    supervisor: "Asistente" };
  const STATUS_LABELS = { ok: "ok", denied: "denegado", error: "error", not_found: "no encontrado",
    cancelled: "cancelado", pending_confirmation: "pendiente de confirmación", running: "en curso" };

  const $ = (id) => document.getElementById(id);
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  class SessionExpired extends Error {}
  class HttpError extends Error {
    constructor(status, detail, code) { super(detail); this.status = status; this.code = code || ""; }
  }
  // The token endpoint's `code` when the password was right but a second factor is missing or wrong.
  const SECOND_FACTOR_CODES = new Set(["mfa_required", "mfa_invalid", "mfa_enrolment_required"]);

  // ------------------------------------------------------------------ session & storage

  const session = {
    get token() { return sessionStorage.getItem(STORE.token); },
    get refreshToken() { return sessionStorage.getItem(STORE.refresh); },
    get expiresAt() { return Number(sessionStorage.getItem(STORE.expires) || 0); },
    get email() { return sessionStorage.getItem(STORE.email) || ""; },
    /* Store a token pair from /v1/auth/token or /v1/auth/refresh. */
    savePair(pair) {
      sessionStorage.setItem(STORE.token, pair.access_token);
      if (pair.refresh_token) sessionStorage.setItem(STORE.refresh, pair.refresh_token);
      sessionStorage.setItem(STORE.expires, String(Date.now() + (pair.expires_in || 0) * 1000));
    },
    save(pair, email) {
      session.savePair(pair);
      sessionStorage.setItem(STORE.email, email);
    },
    clear() { Object.values(STORE).forEach((key) => sessionStorage.removeItem(key)); },
  };

  function randomId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function threadId() {
    let id = sessionStorage.getItem(STORE.thread);
    if (!id) {
      id = `web-${randomId()}`;
      sessionStorage.setItem(STORE.thread, id);
    }
    return id;
  }

  // The server keeps the thread; the tab keeps what it showed so a reload redraws it.
  const transcript = {
    load() {
      try { return JSON.parse(sessionStorage.getItem(STORE.log) || "[]"); } catch { return []; }
    },
    add(entry) {
      const entries = transcript.load();
      entries.push(entry);
      sessionStorage.setItem(STORE.log, JSON.stringify(entries.slice(-MAX_STORED_ENTRIES)));
    },
    clear() { sessionStorage.removeItem(STORE.log); },
  };

  // ------------------------------------------------------------------ HTTP

  async function errorDetail(response) {
    try {
      const body = await response.json();
      if (typeof body.detail === "string") return body.detail;
    } catch { /* not JSON */ }
    return `El servidor respondió con un error (${response.status}).`;
  }

  async function login(email, password, otp) {
    const form = new URLSearchParams({ username: email, password });
    if (otp) form.set("otp", otp);
    const response = await fetch("/v1/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: form,
    });
    if (!response.ok) {
      let body = {};
      try { body = await response.clone().json(); } catch { /* not JSON */ }
      throw new HttpError(response.status, await errorDetail(response), body.code);
    }
    return response.json();
  }

  // ------------------------------------------------------------------ silent refresh

  let refreshing = null;
  let refreshTimer = null;

  /* Trade the refresh token for a new pair (one request at a time: a refresh token works once,
   * so two concurrent refreshes would look like a stolen token and end the session). */
  function refreshSession() {
    if (refreshing) return refreshing;
    const token = session.refreshToken;
    if (!token) return Promise.resolve(false);
    refreshing = (async () => {
      try {
        const response = await fetch("/v1/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: token }),
        });
        if (!response.ok) return false;
        session.savePair(await response.json());
        scheduleRefresh();
        if (notifications) openNotifications();  // the stream carries the token in its URL
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    if (!session.refreshToken || !session.expiresAt) return;
    const delay = Math.max(1000, session.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    refreshTimer = setTimeout(refreshSession, delay);
  }

  /* fetch(...request()) with the current token; on a 401 refresh once and try again. A 401 means
   * the server did nothing, so repeating the request cannot run a turn twice. */
  async function authorized(request) {
    const response = await fetch(...request());
    if (response.status !== 401 || !(await refreshSession())) return response;
    return fetch(...request());
  }

  function chatUrl(thread, streaming) {
    return `/v1/chat/threads/${encodeURIComponent(thread)}/messages${streaming ? "/stream" : ""}`;
  }

  function chatRequest(message, accept) {
    return {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: accept, Authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ message }),
    };
  }

  async function sendPlain(thread, message) {
    const response = await authorized(() => [chatUrl(thread, false), chatRequest(message, "application/json")]);
    if (response.status === 401) throw new SessionExpired(await errorDetail(response));
    if (!response.ok) throw new HttpError(response.status, await errorDetail(response));
    return response.json();
  }

  /* Parse a Server-Sent Events body, calling onEvent(name, data) per event. */
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const dispatch = (block) => {
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (!data.length) return;
      let parsed;
      try { parsed = JSON.parse(data.join("\n")); } catch { parsed = { text: data.join("\n") }; }
      onEvent(name, parsed);
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    if (buffer.trim()) dispatch(buffer);
  }

  const STREAM_UNAVAILABLE = new Set([404, 405, 406, 501]);

  /* One turn over the streaming endpoint; falls back to the plain endpoint only when the
   * stream could not start, so a message is never run twice. */
  async function sendTurn(thread, message, view) {
    let response;
    try {
      response = await authorized(() => [chatUrl(thread, true), chatRequest(message, "text/event-stream")]);
    } catch {
      return sendPlain(thread, message);
    }
    if (response.status === 401) throw new SessionExpired(await errorDetail(response));
    const isStream = (response.headers.get("Content-Type") || "").includes("text/event-stream");
    if (STREAM_UNAVAILABLE.has(response.status) || (response.ok && (!isStream || !response.body))) {
      return sendPlain(thread, message);
    }
    if (!response.ok) throw new HttpError(response.status, await errorDetail(response));
    let result = null;
    let failure = null;
    await readEvents(response, (name, data) => {
      if (name === "agent") view.setAgent(data.agent || data.name);
      else if (name === "tool_call") view.addToolCall(data);
      else if (name === "token") view.appendToken(data.text ?? data.token ?? data.content ?? data.delta ?? "");
      else if (name === "final") result = data;
      else if (name === "error") failure = data.detail || data.message || "No pudimos completar tu solicitud.";
    });
    if (failure) throw new HttpError(500, failure);
    if (!result) throw new HttpError(0, "Se cortó la conexión antes de recibir la respuesta completa.");
    return result;
  }

  // ------------------------------------------------------------------ rendering

  const messages = () => $("messages");

  function scrollToEnd() {
    const box = messages();
    box.scrollTop = box.scrollHeight;
  }

  function timeLabel(iso) {
    const date = iso ? new Date(iso) : new Date();
    return date.toLocaleTimeString("es-CO", { hour: "2-digit", minute: "2-digit" });
  }

  function renderUser(entry) {
    const item = el("article", "msg msg-user");
    item.setAttribute("aria-label", "Tu mensaje");
    item.append(el("p", "msg-text", entry.text), el("time", "msg-time", timeLabel(entry.at)));
    return item;
  }

  function agentBadge(agent) {
    const badge = el("span", "badge agent-badge", AGENT_LABELS[agent] || agent || "Asistente");
    badge.dataset.agent = agent || "";
    badge.title = `Agente: ${agent || "—"}`;
    return badge;
  }

  function toolCallItem(call) {
    const item = el("li", "tool-call");
    const status = call.status || "running";
    item.dataset.tool = call.name || "";
    item.dataset.status = status;
    const args = call.args && Object.keys(call.args).length ? JSON.stringify(call.args) : "";
    item.append(el("code", "tool-name", call.name || "herramienta"));
    if (args) item.append(el("code", "tool-args", args));
    item.append(el("span", `badge status status-${status}`, STATUS_LABELS[status] || status));
    return item;
  }

  function routingLine(routing) {
    if (!routing || !Object.keys(routing).length) return null;
    const describe = (value) => (typeof value === "object" && value !== null
      ? value.label || value.name || value.level || JSON.stringify(value) : String(value));
    const parts = [];
    if (routing.model) parts.push(`modelo: ${describe(routing.model)}`);
    if (routing.classification) parts.push(`clasificación: ${describe(routing.classification)}`);
    const line = el("p", "routing", parts.join(" · ") || "ruta");
    line.title = JSON.stringify(routing);
    return line;
  }

  function confirmationBox(pending, reply, live) {
    const box = el("div", "confirmation");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Confirmación pendiente");
    // The reply often is the question itself: say it once.
    if ((pending.question || "").trim() !== (reply || "").trim()) {
      box.append(el("p", "confirmation-question", pending.question));
    }
    const yes = el("button", "confirm-yes", "Sí, confirmar");
    const no = el("button", "confirm-no secondary", "No, cancelar");
    for (const [button, answer] of [[yes, "sí"], [no, "no"]]) {
      button.type = "button";
      button.disabled = !live;
      button.addEventListener("click", () => submitMessage(answer));
      box.append(button);
    }
    return box;
  }

  /* A bot turn that fills in as stream events arrive, then shows the final TurnResult. */
  function turnView() {
    const item = el("article", "msg msg-bot pending");
    item.setAttribute("aria-label", "Respuesta de MeStocker");
    item.setAttribute("aria-busy", "true");
    const head = el("div", "msg-head");
    const reply = el("p", "msg-text reply", "");
    const tools = el("ul", "tool-calls");
    tools.setAttribute("aria-label", "Herramientas usadas");
    head.append(agentBadge(""));
    item.append(head, reply, tools);
    return {
      item,
      setAgent(agent) { head.replaceChildren(agentBadge(agent)); },
      addToolCall(call) { tools.append(toolCallItem(call)); },
      appendToken(text) { reply.textContent += text; },
    };
  }

  function fillTurn(item, result, live) {
    item.classList.remove("pending");
    item.removeAttribute("aria-busy");
    item.dataset.agent = result.agent || "";
    const head = el("div", "msg-head");
    head.append(agentBadge(result.agent), el("time", "msg-time", timeLabel(result.at)));
    const children = [head, el("p", "msg-text reply", result.reply)];
    if (result.tool_calls && result.tool_calls.length) {
      const tools = el("ul", "tool-calls");
      tools.setAttribute("aria-label", "Herramientas usadas");
      result.tool_calls.forEach((call) => tools.append(toolCallItem(call)));
      children.push(tools);
    }
    if (result.pending_confirmation) children.push(confirmationBox(result.pending_confirmation, result.reply, live));
    const routing = routingLine(result.routing);
    if (routing) children.push(routing);
    item.replaceChildren(...children);
    return item;
  }

  function renderNotice(entry) {
    const item = el("article", `msg msg-notice msg-${entry.kind}`);
    item.setAttribute("aria-label", entry.kind === "notification" ? "Notificación" : "Aviso");
    const icon = entry.kind === "notification" ? "🔔 " : "⚠️ ";
    item.append(el("p", "msg-text", icon + entry.text), el("time", "msg-time", timeLabel(entry.at)));
    return item;
  }

  function renderEntry(entry, live) {
    if (entry.kind === "user") return renderUser(entry);
    if (entry.kind === "turn") return fillTurn(el("article", "msg msg-bot"), entry.result, live);
    return renderNotice(entry);
  }

  function append(entry, { store = true } = {}) {
    if (store) transcript.add(entry);
    messages().append(renderEntry(entry, false));
    scrollToEnd();
  }

  function disableOldConfirmations() {
    messages().querySelectorAll(".confirmation button").forEach((b) => { b.disabled = true; });
  }

  function setStatus(text) { $("status").textContent = text; }

  // ------------------------------------------------------------------ chat flow

  let busy = false;

  async function submitMessage(text) {
    const message = text.trim();
    if (!message || busy) return;
    busy = true;
    $("chat-send").disabled = true;
    disableOldConfirmations();
    append({ kind: "user", text: message, at: new Date().toISOString() });
    const view = turnView();
    messages().append(view.item);
    scrollToEnd();
    setStatus("MeStocker está escribiendo…");
    try {
      const result = await sendTurn(threadId(), message, view);
      const entry = { kind: "turn", result: { ...result, at: new Date().toISOString() } };
      transcript.add(entry);
      fillTurn(view.item, entry.result, true);
      setStatus("");
    } catch (error) {
      view.item.remove();
      if (error instanceof SessionExpired) {
        logout(error.message || "Tu sesión expiró: inicia sesión de nuevo.");
        return;
      }
      const text = error instanceof HttpError
        ? error.message
        : "No pudimos conectar con MeStocker. Revisa tu conexión e intenta de nuevo.";
      append({ kind: "error", text, at: new Date().toISOString() });
      setStatus("");
    } finally {
      busy = false;
      $("chat-send").disabled = false;
      scrollToEnd();
    }
  }

  // ------------------------------------------------------------------ live notifications

  let notifications = null;

  function openNotifications() {
    closeNotifications();
    if (!window.EventSource || !session.token) return;
    // EventSource cannot send headers: the token goes in the query string.
    const url = `/v1/notifications/stream?access_token=${encodeURIComponent(session.token)}`;
    const source = new EventSource(url);
    const show = (event) => {
      let payload;
      try { payload = JSON.parse(event.data); } catch { payload = { text: event.data }; }
      const text = payload.text || payload.message;
      if (payload.notification_id && payload.notification_id <= lastSeenNotification()) return;
      if (text) append({ kind: "notification", text, at: new Date().toISOString() });
      if (payload.notification_id) markNotificationSeen(payload.notification_id);
    };
    source.addEventListener("notification", show);
    source.onmessage = show;
    source.onerror = () => {
      // A closed source got an HTTP error (e.g. expired token): retry later, quietly.
      if (source.readyState === EventSource.CLOSED && notifications === source) {
        notifications = null;
        setTimeout(() => { if (session.token && !notifications) openNotifications(); }, 30000);
      }
    };
    notifications = source;
  }

  // What a closed page missed: the recent notifications newer than the last one this browser showed.
  function seenKey() { return `mestocker.notifications.seen.${session.email}`; }
  function lastSeenNotification() { return Number(localStorage.getItem(seenKey()) || 0); }
  function markNotificationSeen(id) {
    if (id > lastSeenNotification()) localStorage.setItem(seenKey(), String(id));
  }

  async function catchUpNotifications() {
    if (!session.token) return;
    try {
      const response = await authorized(() => ["/v1/notifications?limit=10", {
        headers: { Authorization: `Bearer ${session.token}` },
      }]);
      if (!response.ok) return;
      const recent = await response.json();
      const seen = lastSeenNotification();
      for (const item of recent.filter((n) => n.id > seen).reverse()) {
        append({ kind: "notification", text: item.text, at: item.created_at });
        markNotificationSeen(item.id);
      }
    } catch {
      // Missing the catch-up is not worth an error on screen: live notifications still arrive.
    }
  }

  function closeNotifications() {
    if (notifications) notifications.close();
    notifications = null;
  }

  // ------------------------------------------------------------------ views

  function showChat() {
    $("login-view").hidden = true;
    $("chat-view").hidden = false;
    $("session").hidden = false;
    $("session-user").textContent = session.email;
    $("thread-info").textContent = `Conversación ${threadId().slice(0, 12)}`;
    messages().replaceChildren(...transcript.load().map((entry) => renderEntry(entry, false)));
    const last = messages().lastElementChild;
    // Only the newest turn's confirmation is still answerable after a reload.
    if (last && last.querySelector(".confirmation")) {
      last.querySelectorAll(".confirmation button").forEach((b) => { b.disabled = false; });
    }
    scrollToEnd();
    scheduleRefresh();
    openNotifications();
    catchUpNotifications();
    $("chat-input").focus();
  }

  /* Show (or hide) the second-factor field: the server asks for it after a right password. */
  function askSecondFactor(visible) {
    $("login-otp-group").hidden = !visible;
    $("login-otp").value = "";
    if (visible) $("login-otp").focus();
  }

  function showLogin(message) {
    askSecondFactor(false);
    $("chat-view").hidden = true;
    $("session").hidden = true;
    $("login-view").hidden = false;
    const error = $("login-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("login-email").focus();
  }

  function logout(message) {
    closeNotifications();
    clearTimeout(refreshTimer);
    const token = session.refreshToken;
    if (token) {
      // Revoke the session on the server too; the page leaves either way.
      fetch("/v1/auth/logout", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: token }) }).catch(() => {});
    }
    session.clear();
    showLogin(message);
  }

  function newConversation() {
    sessionStorage.removeItem(STORE.thread);
    transcript.clear();
    messages().replaceChildren();
    $("thread-info").textContent = `Conversación ${threadId().slice(0, 12)}`;
    setStatus("Nueva conversación iniciada.");
    $("chat-input").focus();
  }

  async function doLogin(email, password, otp) {
    const submit = $("login-submit");
    submit.disabled = true;
    $("login-error").hidden = true;
    try {
      const pair = await login(email.trim(), password, otp ? otp.trim() : "");
      session.save(pair, email.trim());
      sessionStorage.removeItem(STORE.thread);
      transcript.clear();
      showChat();
    } catch (error) {
      if (error instanceof HttpError && SECOND_FACTOR_CODES.has(error.code)) {
        // The password was right: keep it, and ask for the code (the server's Spanish detail says which).
        $("login-error").textContent = error.message;
        $("login-error").hidden = false;
        askSecondFactor(error.code !== "mfa_enrolment_required");
        return;
      }
      const message = error instanceof HttpError
        ? (error.status === 401 ? "Correo o contraseña incorrectos." : error.message)
        : "No pudimos conectar con MeStocker. Revisa tu conexión e intenta de nuevo.";
      showLogin(message);
    } finally {
      submit.disabled = false;
    }
  }

  /* A one-time code to send from the WhatsApp number to bind to this account (docs/identity.md). */
  async function whatsappLinkCode() {
    try {
      const response = await authorized(() => ["/v1/me/whatsapp/link-code", {
        method: "POST", headers: { Authorization: `Bearer ${session.token}` },
      }]);
      if (response.status === 401) throw new SessionExpired(await errorDetail(response));
      if (!response.ok) throw new HttpError(response.status, await errorDetail(response));
      const issued = await response.json();
      // Shown, not stored: the code is a credential for ten minutes and the transcript outlives it.
      append({ kind: "notification", text: issued.instructions, at: new Date().toISOString() }, { store: false });
    } catch (error) {
      if (error instanceof SessionExpired) { logout(error.message); return; }
      append({ kind: "error", text: error.message || "No pudimos pedir el código.", at: new Date().toISOString() },
        { store: false });
    }
  }

  function wire() {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const email = $("login-email").value;
      const password = $("login-password").value;
      const otp = $("login-otp-group").hidden ? "" : $("login-otp").value;
      if (!email || !password) {
        showLogin("Escribe tu correo y tu contraseña.");
        return;
      }
      if (!$("login-otp-group").hidden && !otp.trim()) {
        $("login-error").textContent = "Escribe el código de verificación.";
        $("login-error").hidden = false;
        $("login-otp").focus();
        return;
      }
      doLogin(email, password, otp);
    });
    document.querySelectorAll(".demo-account").forEach((button) => {
      button.addEventListener("click", () => {
        $("login-email").value = button.dataset.email;
        $("login-password").value = DEMO_PASSWORD;
        doLogin(button.dataset.email, DEMO_PASSWORD);
      });
    });
    $("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("chat-input");
      const text = input.value;
      input.value = "";
      submitMessage(text);
    });
    $("chat-input").addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter starts a new line.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("chat-form").requestSubmit();
      }
    });
    $("new-thread").addEventListener("click", newConversation);
    $("whatsapp-link").addEventListener("click", whatsappLinkCode);
    $("logout").addEventListener("click", () => logout(""));
  }

  document.addEventListener("DOMContentLoaded", () => {
    wire();
    if (session.token) showChat(); else showLogin("");
  });
})();
