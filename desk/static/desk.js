// CardCare agent desk: plain ES2020, no framework, no build step.
//
// Security note: everything that comes from the server (transcripts, names, summaries,
// error messages) is inserted with textContent, never with innerHTML.
'use strict';

(() => {
  // ---------------------------------------------------------------- constants

  const LANGUAGE_NAMES = {
    en: 'English',
    'zh-Hans': '简体中文',
    'zh-Hant': '繁體中文',
    vi: 'Tiếng Việt',
  };

  const REASON_TOPICS = {
    human_agent: 'Asked for an agent',
    complaint: 'Complaint',
    report_fraud: 'Fraud report',
    lost_card: 'Lost card',
    dispute: 'Disputed charge',
    repayment: 'Repayment plan',
    bank_down: 'Bank systems unavailable',
  };

  const SKILL_NAMES = {
    cards: 'Cards',
    disputes: 'Disputes',
    collections: 'Collections',
    general: 'General',
  };

  const WHO_LABELS = {
    user: 'Customer',
    bot: 'Bot',
    agent: 'Agent',
    note: 'Internal note',
    system: 'System',
  };

  const QUEUE_POLL_MS = 10000;
  const MESSAGES_POLL_MS = 30000;
  const SUPERVISOR_POLL_MS = 5000;
  const TOAST_MS = 4000;
  const GONE_MS = 15000;

  // ---------------------------------------------------------------- state

  const state = {
    agent: null,
    csrf: '',
    waiting: [],
    held: [],
    openId: null, // ticket id (string) of the open chat
    openTicket: null,
    openLanguage: null,
    openEnded: false,
    openSeq: 0, // guards against out-of-order chat loads
    shownEntries: new Set(),
    unread: new Set(),
    failures: new Map(), // ticket id -> last delivery failure reason (from the socket)
    failuresDismissedAt: new Map(), // ticket id -> epoch s up to which failures were dismissed
    drafts: new Map(),
    gone: new Map(), // ticket id -> time it left this agent (filters stale queue responses)
    canned: new Map(), // language -> replies
    cannedByKey: new Map(),
    agents: [],
    ws: null,
    wsAttempts: 0,
    wsTimer: null,
    timers: [],
    toastTimer: null,
    claiming: false,
    sending: false,
    noting: false,
    acting: false,
  };

  // ---------------------------------------------------------------- helpers

  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(className, text, label) {
    const b = el('button', className, text);
    b.type = 'button';
    if (label) b.setAttribute('aria-label', label);
    return b;
  }

  const sameId = (a, b) => a !== null && a !== undefined && b !== null && b !== undefined
    && String(a) === String(b);

  const enc = (value) => encodeURIComponent(String(value));

  function languageName(code) {
    if (!code) return 'Unknown language';
    const name = LANGUAGE_NAMES[code];
    return name ? `${name} (${code})` : String(code);
  }

  function topic(reason) {
    if (!reason) return 'No topic';
    return REASON_TOPICS[reason] || String(reason);
  }

  function skillName(skill) {
    return SKILL_NAMES[skill] || (skill ? String(skill) : '');
  }

  function priorityOf(ticket) {
    const p = ticket && ticket.priority;
    if (typeof p === 'string') return p;
    if (p === 0) return 'urgent';
    return 'normal';
  }

  const isUrgent = (ticket) => priorityOf(ticket) === 'urgent';

  function reference(ticket) {
    if (ticket && ticket.reference) return String(ticket.reference);
    const id = ticket && ticket.ticket_id !== undefined ? String(ticket.ticket_id) : '';
    return id ? `H-${id.slice(0, 8).toUpperCase()}` : '';
  }

  function formatWait(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    if (s < 60) return `${s} s`;
    const minutes = Math.floor(s / 60);
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }

  const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
  const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
  });
  const fullFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

  function toDate(seconds) {
    const n = Number(seconds);
    return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : null;
  }

  function formatTime(seconds) {
    const d = toDate(seconds);
    if (!d) return '';
    const today = new Date();
    return d.toDateString() === today.toDateString() ? timeFormat.format(d) : dateTimeFormat.format(d);
  }

  function formatValue(value) {
    if (value === null || value === undefined) return '—';
    if (Array.isArray(value)) return value.map(formatValue).join(', ');
    if (typeof value === 'object') {
      try { return JSON.stringify(value); } catch (_) { return String(value); }
    }
    if (typeof value === 'boolean') return value ? 'yes' : 'no';
    return String(value);
  }

  // A "waiting for" element that ticks client side (see tickWaits).
  function waitElement(seconds, className = 'wait') {
    const span = el('span', className, formatWait(seconds));
    span.dataset.waitBase = String(Number(seconds) || 0);
    span.dataset.waitAt = String(performance.now());
    return span;
  }

  function tickWaits() {
    const now = performance.now();
    for (const node of document.querySelectorAll('[data-wait-base]')) {
      const base = Number(node.dataset.waitBase) || 0;
      const at = Number(node.dataset.waitAt) || now;
      const text = formatWait(base + (now - at) / 1000);
      if (node.textContent !== text) node.textContent = text;
    }
  }

  // Runs an async refresher at most once at a time; a call during a run schedules one more run.
  function coalesced(fn) {
    let running = null;
    let again = false;
    return function run() {
      if (running) { again = true; return running; }
      running = (async () => {
        try {
          do { again = false; await fn(); } while (again);
        } finally {
          running = null;
        }
      })();
      return running;
    };
  }

  // Delays a refresher so that a burst of events makes one request.
  function throttled(fn, ms) {
    let timer = null;
    return function schedule() {
      if (timer) return;
      timer = setTimeout(() => { timer = null; fn(); }, ms);
    };
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, message, data) {
      super(message);
      this.status = status;
      this.data = data;
    }
  }

  async function api(method, path, body, retried = false) {
    const options = {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    };
    if (method !== 'GET') {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRF-Token'] = state.csrf || '';
      options.body = JSON.stringify(body === undefined ? {} : body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (_) {
      throw new ApiError(0, 'Cannot reach the server. Check the connection and try again.', null);
    }
    let data = null;
    if (response.status !== 204) {
      const text = await response.text().catch(() => '');
      if (text) {
        try { data = JSON.parse(text); } catch (_) { data = null; }
      }
    }
    if (response.ok) return data || {};

    const message = (data && typeof data.error === 'string' && data.error)
      || `Request failed (${response.status}${response.statusText ? ` ${response.statusText}` : ''})`;
    // A stale CSRF token (e.g. after a server restart): fetch a fresh one and retry once.
    if (response.status === 403 && method !== 'GET' && !retried && path !== '/api/login'
        && /csrf/i.test(message)) {
      if (await refreshSession()) return api(method, path, body, true);
    }
    if (response.status === 401 && path !== '/api/login' && path !== '/api/me') {
      sessionLost();
    }
    throw new ApiError(response.status, message, data);
  }

  // GET /api/me again: new csrf, same agent. Returns false when the session is gone.
  async function refreshSession() {
    try {
      const data = await api('GET', '/api/me');
      if (data.csrf) state.csrf = data.csrf;
      if (data.agent && state.agent) {
        state.agent = data.agent;
        renderAgent();
      }
      return true;
    } catch (error) {
      if (error.status === 401) sessionLost();
      return false;
    }
  }

  // ---------------------------------------------------------------- messages to the agent

  function showError(message) {
    $('desk-error').textContent = String(message || 'Something went wrong.');
    $('desk-error-bar').hidden = false;
  }

  function clearError() {
    $('desk-error').textContent = '';
    $('desk-error-bar').hidden = true;
  }

  function toast(message) {
    const node = $('desk-status');
    node.textContent = message;
    node.classList.add('visible');
    clearTimeout(state.toastTimer);
    state.toastTimer = setTimeout(() => {
      node.classList.remove('visible');
      node.textContent = '';
    }, TOAST_MS);
  }

  function setConnection(status) {
    const node = $('connection');
    node.classList.remove('conn-live', 'conn-off');
    if (status === 'live') {
      node.textContent = 'Live';
      node.classList.add('conn-live');
    } else if (status === 'connecting') {
      node.textContent = 'Connecting…';
      node.classList.add('conn-off');
    } else {
      node.textContent = 'Reconnecting…';
      node.classList.add('conn-off');
    }
  }

  // ---------------------------------------------------------------- login / logout

  function showLogin(message) {
    $('boot').hidden = true;
    $('desk').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
    document.title = 'CardCare · Agent desk';
    const user = $('username');
    (user.value ? $('password') : user).focus();
  }

  function showDesk(agent) {
    stopDesk();
    state.agent = agent || { id: '', name: 'Agent', role: 'agent' };
    $('boot').hidden = true;
    $('login-view').hidden = true;
    $('login-error').textContent = '';
    $('desk').hidden = false;
    clearError();
    renderAgent();
    hideChat();
    renderQueue();
    renderTabs();
    renderMessages([]);

    state.timers.push(setInterval(tickWaits, 1000));
    state.timers.push(setInterval(() => { refreshQueue(); }, QUEUE_POLL_MS));
    state.timers.push(setInterval(() => { refreshMessages(); }, MESSAGES_POLL_MS));
    if (isSupervisor()) {
      state.timers.push(setInterval(() => { refreshSupervisor(); }, SUPERVISOR_POLL_MS));
    }
    connectSocket();
    loadAgents();
    refreshQueue();
    refreshMessages();
    if (isSupervisor()) refreshSupervisor();
    $('claim-next').focus();
  }

  function stopDesk() {
    for (const timer of state.timers) clearInterval(timer);
    state.timers = [];
    clearTimeout(state.wsTimer);
    state.wsTimer = null;
    const ws = state.ws;
    state.ws = null;
    if (ws) {
      try { ws.close(1000, 'logout'); } catch (_) { /* already closed */ }
    }
  }

  function resetState() {
    state.agent = null;
    state.waiting = [];
    state.held = [];
    state.openId = null;
    state.openTicket = null;
    state.openLanguage = null;
    state.openEnded = false;
    state.openSeq += 1;
    state.shownEntries = new Set();
    state.unread = new Set();
    state.failures = new Map();
    state.failuresDismissedAt = new Map();
    state.drafts = new Map();
    state.gone = new Map();
    state.canned = new Map();
    state.cannedByKey = new Map();
    state.agents = [];
    state.wsAttempts = 0;
  }

  function sessionLost() {
    if (!state.agent) return;
    stopDesk();
    resetState();
    showLogin('Your session has ended. Please sign in again.');
  }

  const isSupervisor = () => Boolean(state.agent && state.agent.role === 'supervisor');

  function renderAgent() {
    const agent = state.agent;
    const role = agent.role === 'supervisor' ? 'Supervisor' : 'Agent';
    const node = $('agent-name');
    node.textContent = `${agent.name || agent.id || 'Agent'} · ${role}`;
    const langs = Array.isArray(agent.languages) ? agent.languages.map(languageName).join(', ') : '';
    const skills = Array.isArray(agent.skills) ? agent.skills.map(skillName).join(', ') : '';
    node.title = [langs && `Languages: ${langs}`, skills && `Teams: ${skills}`,
      agent.capacity ? `Capacity: ${agent.capacity} chats` : ''].filter(Boolean).join('\n');
    $('supervisor').hidden = !isSupervisor();
    $('supervisor-link').hidden = !isSupervisor();
  }

  async function onLoginSubmit(event) {
    event.preventDefault();
    const username = $('username').value.trim();
    const password = $('password').value;
    if (!username || !password) {
      $('login-error').textContent = 'Enter your username and password.';
      return;
    }
    const submit = $('login-button');
    submit.disabled = true;
    $('login-error').textContent = '';
    try {
      const data = await api('POST', '/api/login', { username, password });
      state.csrf = data.csrf || '';
      $('password').value = '';
      resetState();
      showDesk(data.agent);
    } catch (error) {
      $('login-error').textContent = error.message;
      $('password').value = '';
      $('password').focus();
    } finally {
      submit.disabled = false;
    }
  }

  async function logout() {
    $('logout').disabled = true;
    try {
      await api('POST', '/api/logout', {});
    } catch (_) {
      // Signed out locally either way.
    } finally {
      $('logout').disabled = false;
    }
    stopDesk();
    resetState();
    state.csrf = '';
    showLogin('');
  }

  // ---------------------------------------------------------------- queue and my chats

  function recentlyGone(id) {
    const at = state.gone.get(String(id));
    if (at === undefined) return false;
    if (Date.now() - at > GONE_MS) {
      state.gone.delete(String(id));
      return false;
    }
    return true;
  }

  function markGone(id) {
    state.gone.set(String(id), Date.now());
    state.held = state.held.filter((t) => !sameId(t.ticket_id, id));
    state.unread.delete(String(id));
    state.failures.delete(String(id));
    state.drafts.delete(String(id));
  }

  const refreshQueue = coalesced(async () => {
    if (!state.agent) return;
    let data;
    try {
      data = await api('GET', '/api/queue');
    } catch (error) {
      if (error.status !== 401) console.warn('queue:', error.message);
      return;
    }
    if (!state.agent) return;
    state.waiting = Array.isArray(data.waiting) ? data.waiting : [];
    state.held = (Array.isArray(data.held) ? data.held : [])
      .filter((t) => !recentlyGone(t.ticket_id));
    // Keep the open chat's ticket fresh.
    if (state.openId) {
      const fresh = state.held.find((t) => sameId(t.ticket_id, state.openId));
      if (fresh) state.openTicket = { ...state.openTicket, ...fresh };
    }
    for (const id of [...state.unread]) {
      if (!state.held.some((t) => sameId(t.ticket_id, id))) state.unread.delete(id);
    }
    renderQueue();
    renderTabs();
  });

  function renderQueue() {
    const list = $('queue');
    list.replaceChildren();
    const waiting = state.waiting;
    $('queue-count').textContent = waiting.length ? String(waiting.length) : '';
    if (!waiting.length) {
      list.append(el('li', 'empty', 'No chats waiting'));
      return;
    }
    for (const ticket of waiting) {
      const urgent = isUrgent(ticket);
      const item = el('li', `queue-item${urgent ? ' urgent' : ''}`);
      item.dataset.ticket = String(ticket.ticket_id);
      item.dataset.language = String(ticket.language || '');
      item.dataset.priority = priorityOf(ticket);

      const info = el('div', 'qi-info');

      const meta = el('div', 'qi-meta');
      meta.append(el('span', `badge ${urgent ? 'badge-urgent' : 'badge-normal'}`, urgent ? 'Urgent' : 'Normal'), ' ');
      meta.append(el('span', 'lang', languageName(ticket.language)));
      if (ticket.skill) meta.append(el('span', 'sep', '·'), el('span', 'skill', skillName(ticket.skill)));
      info.append(meta);

      const wait = el('div', 'qi-wait');
      wait.append(el('span', 'muted', 'Waiting '), waitElement(ticket.waited_s));
      if (ticket.position !== null && ticket.position !== undefined) {
        wait.append(el('span', 'sep', '·'), el('span', 'muted', `#${ticket.position}`));
      }
      info.append(wait);

      const claimButton = button('btn claim', 'Claim',
        `Claim ${urgent ? 'urgent ' : ''}${topic(ticket.reason)} chat in ${languageName(ticket.language)}`);
      claimButton.disabled = state.claiming;
      claimButton.addEventListener('click', () => claim(ticket.ticket_id));

      const head = el('div', 'qi-head');
      head.append(el('span', 'qi-topic', topic(ticket.reason)), claimButton);
      item.append(head, info);
      list.append(item);
    }
  }

  function renderTabs() {
    const box = $('my-chats');
    box.replaceChildren();
    const held = state.held;
    const capacity = state.agent && state.agent.capacity;
    $('my-chats-count').textContent = capacity ? `${held.length}/${capacity}` : (held.length ? String(held.length) : '');
    if (!held.length) {
      box.append(el('p', 'empty', 'No chats open'));
    }
    for (const ticket of held) {
      const id = String(ticket.ticket_id);
      const unread = state.unread.has(id);
      const open = sameId(id, state.openId);
      const urgent = isUrgent(ticket);
      const tab = button(`chat-tab${open ? ' active' : ''}${unread ? ' unread' : ''}${urgent ? ' urgent' : ''}`);
      tab.dataset.ticket = id;
      if (open) tab.setAttribute('aria-current', 'true');

      const line = el('span', 'tab-line');
      line.append(el('span', 'tab-topic', topic(ticket.reason)));
      if (unread) line.append(el('span', 'badge badge-new', state.failures.has(id) ? 'Failed' : 'New'));
      else if (urgent) line.append(el('span', 'badge badge-urgent', 'Urgent'));
      const meta = el('span', 'tab-meta', `${reference(ticket)} · ${languageName(ticket.language)}`);
      tab.append(line, meta);
      tab.setAttribute('aria-label',
        `${topic(ticket.reason)}, ${languageName(ticket.language)}, ${reference(ticket)}${unread ? ', new messages' : ''}${urgent ? ', urgent' : ''}`);
      tab.addEventListener('click', () => openChat(id));
      box.append(tab);
    }
    const unreadCount = state.unread.size;
    document.title = `${unreadCount ? `(${unreadCount}) ` : ''}CardCare · Agent desk`;
  }

  async function claim(ticketId) {
    if (state.claiming || !state.agent) return;
    state.claiming = true;
    $('claim-next').disabled = true;
    for (const b of document.querySelectorAll('#queue button.claim')) b.disabled = true;
    try {
      const body = ticketId === undefined ? {} : { ticket_id: ticketId };
      const data = await api('POST', '/api/claim', body);
      clearError();
      const ticket = data.ticket;
      if (ticket && ticket.ticket_id !== undefined) {
        const id = String(ticket.ticket_id);
        state.gone.delete(id);
        state.waiting = state.waiting.filter((t) => !sameId(t.ticket_id, id));
        if (!state.held.some((t) => sameId(t.ticket_id, id))) state.held.push(ticket);
        renderQueue();
        renderTabs();
        await openChat(id);
      }
    } catch (error) {
      showError(error.message);
    } finally {
      state.claiming = false;
      $('claim-next').disabled = false;
      for (const b of document.querySelectorAll('#queue button.claim')) b.disabled = false;
      refreshQueue();
    }
  }

  // ---------------------------------------------------------------- the open chat

  function hideChat() {
    state.openSeq += 1;
    state.openId = null;
    state.openTicket = null;
    state.openLanguage = null;
    state.openEnded = false;
    state.shownEntries = new Set();
    $('chat').hidden = true;
    $('no-chat').hidden = false;
    $('transcript').replaceChildren();
    $('reply-text').value = '';
    $('note-text').value = '';
    hideDeliveryError();
    $('chat-ended-bar').hidden = true;
    $('chat-ended').textContent = '';
    renderTabs();
  }

  async function openChat(id, { refresh = false } = {}) {
    id = String(id);
    const seq = ++state.openSeq;
    let data;
    try {
      data = await api('GET', `/api/chats/${enc(id)}`);
    } catch (error) {
      if (seq !== state.openSeq) return;
      if (error.status === 401) return;
      showError(error.message);
      if ((error.status === 403 || error.status === 404) && sameId(state.openId, id)) hideChat();
      refreshQueue();
      return;
    }
    if (seq !== state.openSeq || !state.agent) return;

    const switching = !sameId(state.openId, id);
    const ticket = {
      ...(state.held.find((t) => sameId(t.ticket_id, id)) || {}),
      ...(data.ticket || {}),
    };
    if (ticket.ticket_id === undefined) ticket.ticket_id = id;
    const summary = data.summary || {};

    state.openId = id;
    state.openTicket = ticket;
    state.openLanguage = ticket.language || summary.language || 'en';
    state.unread.delete(id);
    if (!refresh) clearError();

    $('no-chat').hidden = true;
    $('chat').hidden = false;

    if (switching) {
      state.openEnded = false;
      $('chat-ended-bar').hidden = true;
      $('chat-ended').textContent = '';
      hideDeliveryError();
      $('reply-text').value = state.drafts.get(id) || '';
      $('note-text').value = '';
      if (SKILL_NAMES[ticket.skill]) $('transfer-skill').value = ticket.skill;
    }
    setChatEnabled(!state.openEnded);

    renderChatHeader(ticket, summary);
    renderSummary(summary, ticket);
    renderTranscript(Array.isArray(data.transcript) ? data.transcript : [], switching);
    renderFailures(id, Array.isArray(data.delivery_failures) ? data.delivery_failures : []);
    renderTabs();

    if (switching) {
      loadCanned(state.openLanguage);
      loadAgents();
      const reply = $('reply-text');
      reply.focus();
      reply.setSelectionRange(reply.value.length, reply.value.length);
    }
  }

  function renderChatHeader(ticket, summary) {
    const ref = reference(ticket);
    $('chat-title').textContent = `${topic(ticket.reason || summary.reason)}${ref ? ` · ${ref}` : ''}`;
    const parts = [languageName(ticket.language || summary.language)];
    if (ticket.skill) parts.push(`${skillName(ticket.skill)} team`);
    parts.push(isUrgent(ticket) ? 'Urgent' : 'Normal priority');
    const meta = $('chat-meta');
    meta.textContent = parts.join(' · ');
    meta.classList.toggle('urgent-text', isUrgent(ticket));
  }

  function setChatEnabled(enabled) {
    for (const id of ['reply-text', 'send-reply', 'canned', 'note-text', 'add-note', 'transfer-skill',
      'transfer-skill-button', 'transfer-agent', 'transfer-agent-button', 'close-chat']) {
      $(id).disabled = !enabled;
    }
  }

  function renderSummary(summary, ticket) {
    const language = summary.language || ticket.language;
    $('summary-language').textContent = languageName(language);

    const verified = $('summary-verified');
    verified.textContent = summary.verified ? 'Yes' : 'No';
    verified.className = summary.verified ? 'yes' : 'no';

    $('summary-reason').textContent = topic(summary.reason || ticket.reason);

    const complaint = summary.complaint;
    $('summary-complaint-box').hidden = !complaint;
    const complaintText = $('summary-complaint');
    complaintText.textContent = complaint ? String(complaint) : '';
    setLang(complaintText, language);

    const facts = $('summary-facts');
    facts.replaceChildren();
    for (const fact of Array.isArray(summary.facts) ? summary.facts : []) {
      const li = el('li', null, formatValue(fact));
      setLang(li, language);
      facts.append(li);
    }

    const entities = $('summary-entities');
    entities.replaceChildren();
    const entries = summary.entities && typeof summary.entities === 'object' ? Object.entries(summary.entities) : [];
    for (const [name, value] of entries) {
      const li = el('li');
      li.append(el('span', 'k', `${name}: `), el('span', 'v', formatValue(value)));
      entities.append(li);
    }

    const intents = $('summary-intents');
    intents.replaceChildren();
    for (const intent of Array.isArray(summary.intents) ? summary.intents : []) {
      intents.append(el('li', 'chip', formatValue(intent)));
    }
  }

  // Customer text gets its language so the right CJK glyphs are used.
  function setLang(node, language) {
    if (language && LANGUAGE_NAMES[language]) node.lang = language;
    else node.removeAttribute('lang');
  }

  function renderTranscript(entries, switching) {
    const box = $('transcript');
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const previousTop = box.scrollTop;
    box.replaceChildren();
    state.shownEntries = new Set();
    if (!entries.length) box.append(el('p', 'empty transcript-empty', 'No messages yet.'));
    for (const entry of entries) appendEntry(entry, { scroll: false });
    if (switching || nearBottom) box.scrollTop = box.scrollHeight;
    else box.scrollTop = previousTop;
  }

  // Entries name agents by id; show their names when the agent list knows them.
  function agentName(id) {
    const agent = state.agents.find((a) => sameId(a.id, id));
    return agent && agent.name ? String(agent.name) : String(id);
  }

  function entryElement(entry) {
    const known = Object.prototype.hasOwnProperty.call(WHO_LABELS, entry.who);
    const who = known ? entry.who : 'system';
    const node = el('div', `entry entry-${who}`);
    if (entry.id !== undefined && entry.id !== null) node.dataset.id = String(entry.id);

    const meta = el('div', 'entry-meta');
    let label = WHO_LABELS[who];
    const mine = state.agent && entry.agent
      && (sameId(entry.agent, state.agent.id) || sameId(entry.agent, state.agent.name));
    if (who === 'agent') label = mine ? 'You' : (entry.agent ? agentName(entry.agent) : 'Agent');
    if (who === 'note' && entry.agent) label = `Internal note · ${mine ? 'you' : agentName(entry.agent)}`;
    if (who !== 'system') meta.append(el('span', 'who', label));
    const time = el('time', 'time', formatTime(entry.time));
    const date = toDate(entry.time);
    if (date) {
      time.dateTime = date.toISOString();
      time.title = fullFormat.format(date);
    }
    meta.append(time);

    const text = el('div', 'entry-text', entry.text === undefined || entry.text === null ? '' : entry.text);
    if (who === 'user' || who === 'bot') setLang(text, state.openLanguage);

    if (who === 'system') node.append(text, meta);
    else node.append(meta, text);
    return node;
  }

  function appendEntry(entry, { scroll = true, force = false } = {}) {
    if (!entry || typeof entry !== 'object') return;
    const key = entry.id !== undefined && entry.id !== null ? String(entry.id) : null;
    if (key !== null) {
      if (state.shownEntries.has(key)) return;
      state.shownEntries.add(key);
    }
    const box = $('transcript');
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const placeholder = box.querySelector('.transcript-empty');
    if (placeholder) placeholder.remove();
    box.append(entryElement(entry));
    if (scroll && (force || nearBottom)) box.scrollTop = box.scrollHeight;
  }

  // ---------------------------------------------------------------- delivery failures / chat ended

  function showDeliveryError(reason, time) {
    const node = $('delivery-error');
    node.textContent = `A message could not be delivered to the customer: ${reason || 'unknown reason'}`;
    node.dataset.time = String(Number(time) || 0);
    node.hidden = false;
    $('delivery-error-bar').hidden = false;
  }

  function hideDeliveryError() {
    const node = $('delivery-error');
    node.textContent = '';
    node.dataset.time = '';
    node.hidden = true;
    $('delivery-error-bar').hidden = true;
  }

  // The server's failure reasons may repeat the "Could not be delivered:" prefix.
  function failureReason(reason) {
    const text = String(reason || '').replace(/^\s*could not be delivered[:.]?\s*/i, '');
    return text || 'unknown reason';
  }

  function renderFailures(id, failures) {
    const last = failures.length ? failures[failures.length - 1] : null;
    const dismissedAt = state.failuresDismissedAt.get(id) || 0;
    if (last && !(Number(last.time) <= dismissedAt)) {
      const when = formatTime(last.time);
      showDeliveryError(`${failureReason(last.reason)}${when ? ` (${when})` : ''}`, last.time);
      return;
    }
    const pending = state.failures.get(id);
    if (pending) showDeliveryError(pending.reason, pending.time);
  }

  function dismissDeliveryError() {
    const id = state.openId;
    if (id) {
      const shown = Number($('delivery-error').dataset.time) || 0;
      state.failuresDismissedAt.set(id, Math.max(Date.now() / 1000, shown));
      state.failures.delete(id);
    }
    hideDeliveryError();
  }

  function chatEnded(id, why) {
    id = String(id);
    markGone(id);
    renderTabs();
    if (sameId(state.openId, id)) {
      state.openEnded = true;
      state.drafts.delete(id);
      $('chat-ended').textContent = `Chat ended: ${why || 'the conversation is over'}`;
      $('chat-ended-bar').hidden = false;
      setChatEnabled(false);
    } else {
      toast(`A chat ended: ${why || 'the conversation is over'}`);
    }
  }

  // ---------------------------------------------------------------- actions on the open chat

  async function sendReply() {
    const id = state.openId;
    const textarea = $('reply-text');
    const text = textarea.value.trim();
    if (!id || state.openEnded || state.sending || !text) return;
    state.sending = true;
    $('send-reply').disabled = true;
    try {
      const data = await api('POST', `/api/chats/${enc(id)}/reply`, { text });
      state.drafts.delete(id);
      if (sameId(state.openId, id)) {
        textarea.value = '';
        if (data.entry) appendEntry(data.entry, { force: true });
        clearError();
      }
    } catch (error) {
      showError(error.message);
    } finally {
      state.sending = false;
      $('send-reply').disabled = state.openEnded || !state.openId;
      if (sameId(state.openId, id)) textarea.focus();
    }
  }

  async function addNote() {
    const id = state.openId;
    const textarea = $('note-text');
    const text = textarea.value.trim();
    if (!id || state.openEnded || state.noting || !text) return;
    state.noting = true;
    $('add-note').disabled = true;
    try {
      const data = await api('POST', `/api/chats/${enc(id)}/note`, { text });
      if (sameId(state.openId, id)) {
        textarea.value = '';
        if (data.entry) appendEntry(data.entry, { force: true });
        clearError();
      }
    } catch (error) {
      showError(error.message);
    } finally {
      state.noting = false;
      $('add-note').disabled = state.openEnded || !state.openId;
    }
  }

  // Ends this agent's part in the open chat (transfer or close).
  async function leaveChat(path, body, doneMessage) {
    const id = state.openId;
    if (!id || state.acting) return;
    state.acting = true;
    const ticket = state.openTicket;
    try {
      await api('POST', `/api/chats/${enc(id)}/${path}`, body);
      clearError();
      markGone(id);
      if (sameId(state.openId, id)) hideChat();
      renderTabs();
      toast(doneMessage.replace('{ref}', reference(ticket) || 'Chat'));
      $('claim-next').focus();
    } catch (error) {
      showError(error.message);
    } finally {
      state.acting = false;
      refreshQueue();
    }
  }

  function transferToSkill() {
    const skill = $('transfer-skill').value;
    if (!SKILL_NAMES[skill]) {
      showError('Choose a team to transfer to.');
      return;
    }
    leaveChat('transfer', { skill }, `{ref} transferred to the ${SKILL_NAMES[skill]} team.`);
  }

  function transferToAgent() {
    const value = $('transfer-agent').value;
    const agent = state.agents.find((a) => String(a.id) === value);
    if (!value || !agent) {
      showError('Choose an agent to transfer to.');
      $('transfer-agent').focus();
      return;
    }
    leaveChat('transfer', { agent: agent.id }, `{ref} transferred to ${agent.name || agent.id}.`);
  }

  function closeChat() {
    leaveChat('close', {}, '{ref} closed.');
  }

  // ---------------------------------------------------------------- canned replies

  async function loadCanned(language) {
    const select = $('canned');
    select.replaceChildren(new Option('Canned replies…', ''));
    state.cannedByKey = new Map();
    let replies = state.canned.get(language);
    if (!replies) {
      try {
        const data = await api('GET', `/api/canned?language=${enc(language)}`);
        replies = Array.isArray(data.replies) ? data.replies : [];
        state.canned.set(language, replies);
      } catch (error) {
        if (error.status !== 401) console.warn('canned:', error.message);
        replies = [];
      }
    }
    if (state.openLanguage !== language) return;
    select.replaceChildren(new Option('Canned replies…', ''));
    state.cannedByKey = new Map();
    if (!replies.length) {
      const none = new Option('No canned replies for this language', '');
      none.disabled = true;
      select.append(none);
      return;
    }
    for (const reply of replies) {
      const key = String(reply.key);
      state.cannedByKey.set(key, reply);
      const option = new Option(String(reply.title || reply.key), key);
      option.title = String(reply.text || '');
      select.append(option);
    }
  }

  function onCannedChange() {
    const select = $('canned');
    const reply = state.cannedByKey.get(select.value);
    if (!reply) return;
    const textarea = $('reply-text');
    textarea.value = String(reply.text || '');
    if (state.openId) state.drafts.set(state.openId, textarea.value);
    select.value = '';
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  // ---------------------------------------------------------------- agents (for transfers)

  async function loadAgents() {
    try {
      const data = await api('GET', '/api/agents');
      state.agents = Array.isArray(data.agents) ? data.agents : [];
    } catch (error) {
      if (error.status !== 401) console.warn('agents:', error.message);
    }
    renderAgentOptions();
  }

  function renderAgentOptions() {
    const select = $('transfer-agent');
    const previous = select.value;
    const language = state.openLanguage;
    const me = state.agent ? String(state.agent.id) : '';
    const speaks = (a) => Array.isArray(a.languages) && a.languages.includes(language);
    const others = state.agents
      .filter((a) => String(a.id) !== me)
      .sort((a, b) => (Number(Boolean(b.online)) - Number(Boolean(a.online)))
        || (Number(speaks(b)) - Number(speaks(a)))
        || String(a.name || a.id).localeCompare(String(b.name || b.id)));
    select.replaceChildren(new Option('Choose an agent…', ''));
    for (const agent of others) {
      const langs = Array.isArray(agent.languages) ? agent.languages.join(', ') : '';
      const skills = Array.isArray(agent.skills) ? agent.skills.map(skillName).join(', ') : '';
      const reads = !language || !Array.isArray(agent.languages) || speaks(agent);
      const label = [`${agent.name || agent.id}`, agent.online ? 'online' : 'offline', langs, skills,
        reads ? '' : 'does not read this language'].filter(Boolean).join(' · ');
      const option = new Option(label, String(agent.id));
      option.disabled = !reads; // the server refuses a transfer to an agent who cannot read the chat
      select.append(option);
    }
    if (previous && others.some((a) => String(a.id) === previous && speaks(a))) select.value = previous;
  }

  // ---------------------------------------------------------------- messages left after hours

  const refreshMessages = coalesced(async () => {
    if (!state.agent) return;
    let data;
    try {
      data = await api('GET', '/api/messages');
    } catch (error) {
      if (error.status !== 401) console.warn('messages:', error.message);
      return;
    }
    if (!state.agent) return;
    renderMessages(Array.isArray(data.messages) ? data.messages : []);
  });

  function renderMessages(messages) {
    const list = $('messages-list');
    list.replaceChildren();
    $('messages-count').textContent = messages.length ? String(messages.length) : '';
    if (!messages.length) {
      list.append(el('li', 'empty', 'No messages left'));
      return;
    }
    for (const message of messages) {
      const item = el('li', 'left-message');
      item.dataset.reference = String(message.reference);
      const head = el('div', 'lm-head');
      head.append(el('strong', 'lm-ref', message.reference), el('span', 'lm-topic', topic(message.reason)));
      const meta = el('div', 'lm-meta',
        [languageName(message.language), skillName(message.skill), formatTime(message.created)]
          .filter(Boolean).join(' · '));
      const text = el('p', 'lm-text', message.text || '');
      setLang(text, message.language);
      item.append(head, meta, text);

      const summary = message.summary;
      if (summary && typeof summary === 'object') {
        const details = el('details', 'lm-summary');
        details.append(el('summary', null, 'Summary'));
        const kv = el('ul', 'bullets');
        kv.append(el('li', null, `Verified: ${summary.verified ? 'yes' : 'no'}`));
        if (summary.complaint) kv.append(el('li', null, `Complaint: ${summary.complaint}`));
        for (const fact of Array.isArray(summary.facts) ? summary.facts : []) kv.append(el('li', null, formatValue(fact)));
        if (summary.entities && typeof summary.entities === 'object') {
          for (const [name, value] of Object.entries(summary.entities)) kv.append(el('li', null, `${name}: ${formatValue(value)}`));
        }
        details.append(kv);
        item.append(details);
      }

      const done = button('btn done', 'Mark done', `Mark message ${message.reference} as handled`);
      done.addEventListener('click', () => markMessageDone(message.reference, done));
      item.append(done);
      list.append(item);
    }
  }

  async function markMessageDone(ref, doneButton) {
    doneButton.disabled = true;
    try {
      await api('POST', `/api/messages/${enc(ref)}/done`, {});
      clearError();
      const item = [...document.querySelectorAll('#messages-list .left-message')]
        .find((node) => node.dataset.reference === String(ref));
      if (item) item.remove();
      const left = document.querySelectorAll('#messages-list .left-message').length;
      $('messages-count').textContent = left ? String(left) : '';
      if (!left) $('messages-list').replaceChildren(el('li', 'empty', 'No messages left'));
      toast(`Message ${ref} marked as handled.`);
    } catch (error) {
      doneButton.disabled = false;
      showError(error.message);
    }
  }

  // ---------------------------------------------------------------- supervisor

  const refreshSupervisor = coalesced(async () => {
    if (!isSupervisor()) return;
    let data;
    try {
      data = await api('GET', '/api/supervisor');
    } catch (error) {
      if (error.status === 403) $('supervisor').hidden = true;
      else if (error.status !== 401) console.warn('supervisor:', error.message);
      return;
    }
    if (!isSupervisor()) return;
    renderSupervisor(data);
  });

  function cell(text, className) {
    return el('td', className, text);
  }

  function emptyRow(body, text, columns) {
    const td = cell(text, 'empty');
    td.colSpan = columns;
    const tr = el('tr');
    tr.append(td);
    body.append(tr);
  }

  function formatAverage(value) {
    const n = Number(value);
    return value === null || value === undefined || !Number.isFinite(n) ? '—' : n.toFixed(1);
  }

  function renderSupervisor(data) {
    const queues = Array.isArray(data.queues) ? data.queues : [];
    const qBody = $('supervisor-queues').tBodies[0];
    qBody.replaceChildren();
    if (!queues.length) emptyRow(qBody, 'No queues', 4);
    for (const q of queues) {
      const tr = el('tr');
      if (Number(q.waiting) > 0) tr.className = 'has-waiting';
      const oldest = cell('', 'num');
      if (Number(q.waiting) > 0) oldest.append(waitElement(q.oldest_wait_s));
      else oldest.textContent = '—';
      tr.append(cell(languageName(q.language)), cell(skillName(q.skill)), cell(String(q.waiting ?? 0), 'num'), oldest);
      qBody.append(tr);
    }

    const csat = data.csat && typeof data.csat === 'object' ? data.csat : {};
    const byAgent = csat.by_agent && typeof csat.by_agent === 'object' ? csat.by_agent : {};
    const agents = Array.isArray(data.agents) ? data.agents : [];
    const aBody = $('supervisor-agents').tBodies[0];
    aBody.replaceChildren();
    if (!agents.length) emptyRow(aBody, 'No agents', 4);
    for (const a of agents) {
      const tr = el('tr');
      const status = cell('');
      status.append(el('span', `dot ${a.online ? 'dot-on' : 'dot-off'}`), document.createTextNode(a.online ? 'Online' : 'Offline'));
      const rating = byAgent[a.id];
      const ratingText = rating && rating.count ? `${formatAverage(rating.average)} (${rating.count})` : '—';
      const full = Number(a.chats) >= Number(a.capacity) && Number(a.capacity) > 0;
      tr.append(cell(a.name || a.id), status, cell(`${a.chats ?? 0}/${a.capacity ?? '—'}`, `num${full ? ' full' : ''}`),
        cell(ratingText, 'num'));
      aBody.append(tr);
    }

    const box = $('supervisor-csat');
    box.replaceChildren();
    if (csat.average === null || csat.average === undefined || !csat.count) {
      box.append(el('p', 'muted', 'No ratings yet.'));
    } else {
      const big = el('p', 'csat-big');
      big.append(el('span', 'csat-value', formatAverage(csat.average)), el('span', 'muted', ' average'));
      box.append(big, el('p', 'muted', `${csat.count} rating${csat.count === 1 ? '' : 's'}`));
    }
    $('supervisor-updated').textContent = `Updated ${timeFormat.format(new Date())}`;
  }

  // ---------------------------------------------------------------- live updates

  const soonMessages = throttled(() => refreshMessages(), 3000);
  const soonSupervisor = throttled(() => refreshSupervisor(), 1000);

  function connectSocket() {
    if (!state.agent) return;
    clearTimeout(state.wsTimer);
    state.wsTimer = null;
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (_) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    setConnection(state.wsAttempts ? 'off' : 'connecting');
    ws.addEventListener('open', () => {
      if (state.ws !== ws) return;
      state.wsAttempts = 0;
      setConnection('live');
      resync();
    });
    ws.addEventListener('message', (event) => {
      if (state.ws !== ws) return;
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      if (message && typeof message === 'object') handleEvent(message);
    });
    ws.addEventListener('close', () => {
      if (state.ws !== ws) return; // replaced or closed on purpose
      state.ws = null;
      setConnection('off');
      if (state.agent) scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    clearTimeout(state.wsTimer);
    const attempt = state.wsAttempts;
    state.wsAttempts += 1;
    const base = Math.min(30000, 1000 * 2 ** Math.min(attempt, 5));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    state.wsTimer = setTimeout(async () => {
      state.wsTimer = null;
      if (!state.agent) return;
      // The server may have restarted: check the session (and take a fresh csrf) first.
      await refreshSession();
      if (state.agent && !state.ws) connectSocket();
    }, delay);
  }

  // After (re)connecting: anything may have happened while we were away.
  function resync() {
    refreshQueue();
    refreshMessages();
    if (isSupervisor()) refreshSupervisor();
    if (state.openId && !state.openEnded) openChat(state.openId, { refresh: true });
  }

  function handleEvent(message) {
    const id = message.ticket_id !== undefined && message.ticket_id !== null ? String(message.ticket_id) : null;
    switch (message.type) {
      case 'queue':
        refreshQueue();
        soonMessages();
        break;
      case 'messages':
        refreshMessages();
        break;
      case 'entry':
        if (id === null) break;
        if (sameId(state.openId, id)) {
          appendEntry(message.entry);
        } else {
          state.unread.add(id);
          renderTabs();
          if (!state.held.some((t) => sameId(t.ticket_id, id))) refreshQueue();
        }
        break;
      case 'delivery_failed': {
        if (id === null) break;
        const reason = failureReason(message.reason);
        const time = Date.now() / 1000;
        state.failures.set(id, { reason, time });
        if (sameId(state.openId, id)) {
          showDeliveryError(reason, time);
        } else {
          state.unread.add(id);
          renderTabs();
        }
        break;
      }
      case 'chat_ended':
        // Sent to every agent: only chats this agent holds or has open matter here.
        if (id === null) break;
        if (sameId(state.openId, id) || state.held.some((t) => sameId(t.ticket_id, id))) {
          chatEnded(id, message.why ? String(message.why) : '');
        }
        refreshQueue();
        break;
      case 'assigned':
        refreshQueue();
        if (message.agent !== undefined && message.agent !== null && state.agent
            && !sameId(message.agent, state.agent.id)) break; // assigned to someone else
        if (id !== null && !sameId(state.openId, id)) {
          state.unread.add(id);
          state.gone.delete(id);
          toast('A chat was assigned to you.');
        }
        break;
      default:
        break;
    }
    if (isSupervisor()) soonSupervisor();
  }

  // ---------------------------------------------------------------- keyboard

  function insertNewline(textarea) {
    const { selectionStart, selectionEnd } = textarea;
    textarea.setRangeText('\n', selectionStart, selectionEnd, 'end');
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // Enter submits; Shift+Enter or Ctrl+Enter adds a line. Never while an IME is composing
  // (Chinese and Vietnamese input methods use Enter to confirm a word).
  function enterSubmits(textarea, submit) {
    textarea.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' || event.isComposing || event.keyCode === 229) return;
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        insertNewline(textarea);
        return;
      }
      if (event.shiftKey || event.altKey) return;
      event.preventDefault();
      submit();
    });
  }

  function onGlobalKeydown(event) {
    if ($('desk').hidden) return;
    if (event.altKey && !event.ctrlKey && !event.metaKey
        && (event.code === 'KeyN' || (event.key && event.key.toLowerCase() === 'n'))) {
      event.preventDefault();
      claim(undefined);
    } else if (event.key === 'Escape' && !$('desk-error-bar').hidden) {
      clearError();
    }
  }

  // ---------------------------------------------------------------- wiring and start

  function wire() {
    $('login-form').addEventListener('submit', onLoginSubmit);
    $('logout').addEventListener('click', logout);
    $('claim-next').addEventListener('click', () => claim(undefined));
    $('desk-error-dismiss').addEventListener('click', clearError);

    $('reply-form').addEventListener('submit', (event) => { event.preventDefault(); sendReply(); });
    enterSubmits($('reply-text'), sendReply);
    $('reply-text').addEventListener('input', () => {
      if (state.openId && !state.openEnded) state.drafts.set(state.openId, $('reply-text').value);
    });

    $('note-form').addEventListener('submit', (event) => { event.preventDefault(); addNote(); });
    enterSubmits($('note-text'), addNote);

    $('canned').addEventListener('change', onCannedChange);
    $('transfer-skill-button').addEventListener('click', transferToSkill);
    $('transfer-agent-button').addEventListener('click', transferToAgent);
    $('close-chat').addEventListener('click', closeChat);

    $('delivery-error-dismiss').addEventListener('click', dismissDeliveryError);
    $('chat-ended-dismiss').addEventListener('click', () => {
      hideChat();
      $('claim-next').focus();
    });

    document.addEventListener('keydown', onGlobalKeydown);
    window.addEventListener('online', () => {
      if (state.agent && !state.ws) connectSocket();
    });
  }

  async function start() {
    wire();
    try {
      const data = await api('GET', '/api/me');
      state.csrf = data.csrf || '';
      resetState();
      showDesk(data.agent);
    } catch (error) {
      if (error.data && typeof error.data.csrf === 'string') state.csrf = error.data.csrf;
      showLogin(error.status === 401 || error.status === 403 ? '' : error.message);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
