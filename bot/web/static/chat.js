/*
 * CardCare web chat: one WebSocket to /chat/ws, rendering the conversation the gateway sends.
 *
 * Protocol (JSON):
 *   page -> gateway: {type: "message", text}, {type: "choice", token}, {type: "language", language}
 *   gateway -> page: {type: "history", messages: [{from, text, buttons}], language} once per
 *                    connection, then {type: "bot", text, buttons, language}, {type: "typing", on},
 *                    {type: "notice", text}, {type: "error", text}
 * The gateway knows the user by an HttpOnly cookie; the page never sends a user id.  Server text
 * only ever reaches the page through textContent, so nothing it says can become markup.
 */
"use strict";

(() => {
  const LANGUAGES = ["en", "zh-Hans", "zh-Hant", "vi"];
  const MAX_LENGTH = 1000;
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 15000;
  // A connection attempt can hang rather than fail (a server shutting down, a lost network):
  // give up on it after this long and back off as for any other failure.
  const CONNECT_TIMEOUT_MS = 10000;
  // Plain ASCII only: bot text in Chinese often runs straight on after a URL ("請瀏覽https://…了解"),
  // and a URL never contains a space, quote or angle bracket.
  const URL_PATTERN = /https?:\/\/[^\s"<>\u0080-\uffff]+/g;
  const TRAILING_PUNCTUATION = /[.,;:!?'")\]}]+$/;

  const TEXTS = {
    en: {
      title: "CardCare – Chat",
      language: "Language",
      conversation: "Conversation",
      input: "Message",
      placeholder: "Type your message…",
      send: "Send",
      typing: "CardCare is typing",
      connecting: "Connecting…",
      offline: (s) => `Offline. Reconnecting in ${s} s…`,
      replies: "Suggested replies",
    },
    "zh-Hans": {
      title: "CardCare – 在线客服",
      language: "语言",
      conversation: "对话记录",
      input: "消息",
      placeholder: "请输入您的问题…",
      send: "发送",
      typing: "CardCare 正在输入",
      connecting: "正在连接…",
      offline: (s) => `连接已断开，${s} 秒后重新连接…`,
      replies: "建议回复",
    },
    "zh-Hant": {
      title: "CardCare – 線上客服",
      language: "語言",
      conversation: "對話紀錄",
      input: "訊息",
      placeholder: "請輸入您的問題…",
      send: "傳送",
      typing: "CardCare 正在輸入",
      connecting: "正在連線…",
      offline: (s) => `連線已中斷，${s} 秒後重新連線…`,
      replies: "建議回覆",
    },
    vi: {
      title: "CardCare – Trò chuyện",
      language: "Ngôn ngữ",
      conversation: "Cuộc trò chuyện",
      input: "Tin nhắn",
      placeholder: "Nhập tin nhắn của bạn…",
      send: "Gửi",
      typing: "CardCare đang trả lời",
      connecting: "Đang kết nối…",
      offline: (s) => `Mất kết nối. Thử lại sau ${s} giây…`,
      replies: "Gợi ý trả lời",
    },
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    languageLabel: $("language-label"),
    language: $("language"),
    status: $("status"),
    scroller: $("scroller"),
    log: $("log"),
    typing: $("typing"),
    typingLabel: $("typing-label"),
    composer: $("composer"),
    input: $("input"),
    send: $("send"),
  };

  const state = {
    socket: null,
    online: false,
    retries: 0,
    retryTimer: 0,
    retryAt: 0,
    language: "en",
    // Whether the reader was following the end of the conversation at the last scroll.
    atBottom: true,
    // Whether this connection's history has arrived.
    restored: false,
    // A language the user picked that the gateway may not know yet: picked offline, or before
    // this connection's history (which would otherwise reset the selector to the old one).
    pendingLanguage: null,
    // What the status line says, kept so it can be redrawn in another language.
    status: { kind: "connecting" },
  };

  // --- language ---------------------------------------------------------------------------

  /** Maps one BCP 47 tag to a CardCare language, or null. */
  function languageOf(tag) {
    const parts = String(tag).toLowerCase().split(/[-_]/);
    if (parts[0] === "zh") {
      if (parts.includes("hant")) return "zh-Hant";
      if (parts.includes("hans")) return "zh-Hans";
      return parts.some((p) => p === "tw" || p === "hk" || p === "mo") ? "zh-Hant" : "zh-Hans";
    }
    if (parts[0] === "vi") return "vi";
    if (parts[0] === "en") return "en";
    return null;
  }

  function browserLanguage() {
    const tags = navigator.languages && navigator.languages.length
      ? navigator.languages
      : [navigator.language || "en"];
    for (const tag of tags) {
      const language = languageOf(tag);
      if (language) return language;
    }
    return "en";
  }

  function applyLanguage(language) {
    const t = TEXTS[language];
    state.language = language;
    ui.language.value = language;
    document.documentElement.lang = language;
    document.title = t.title;
    ui.languageLabel.textContent = t.language;
    ui.log.setAttribute("aria-label", t.conversation);
    ui.input.setAttribute("aria-label", t.input);
    ui.input.placeholder = t.placeholder;
    ui.send.textContent = t.send;
    ui.typingLabel.textContent = t.typing;
    for (const group of ui.log.querySelectorAll(".choices")) {
      group.setAttribute("aria-label", t.replies);
    }
    renderStatus();
  }

  // --- rendering ----------------------------------------------------------------------------

  /** Appends text to parent, with http(s) URLs as links that open in a new tab. */
  function appendLinkified(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      const url = match[0].replace(TRAILING_PUNCTUATION, "");
      if (url.endsWith("://")) continue;
      parent.append(text.slice(last, match.index));
      const link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.append(link);
      last = match.index + url.length;
    }
    parent.append(text.slice(last));
  }

  function nearBottom() {
    const s = ui.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  /** Adds a row to the log; follows the conversation unless the reader has scrolled up. */
  function appendRow(row, follow) {
    const stick = follow || nearBottom();
    ui.log.append(row);
    if (stick) ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  function row(kind) {
    const element = document.createElement("div");
    element.className = `row row-${kind}`;
    return element;
  }

  /** Buttons not yet answered stop working once the user has said anything after them. */
  function closeChoices() {
    for (const group of ui.log.querySelectorAll(".choices:not(.answered)")) {
      group.classList.add("answered");
      for (const button of group.querySelectorAll("button")) button.disabled = true;
    }
  }

  function addUser(text) {
    closeChoices();
    const r = row("user");
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.dataset.testid = "user-message";
    bubble.textContent = text;
    r.append(bubble);
    appendRow(r, true);
  }

  function addBot(text, buttons) {
    const r = row("bot");
    if (text) {
      const bubble = document.createElement("div");
      bubble.className = "bubble";
      bubble.dataset.testid = "bot-message";
      appendLinkified(bubble, text);
      r.append(bubble);
    }
    if (buttons.length) {
      const group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", TEXTS[state.language].replies);
      for (const { title, token } of buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "choice";
        button.dataset.testid = "choice";
        button.textContent = title;
        button.disabled = !state.online;
        button.addEventListener("click", () => choose(group, button, title, token));
        group.append(button);
      }
      r.append(group);
    }
    if (r.childElementCount) appendRow(r, false);
  }

  function addNotice(text, kind) {
    const r = row(kind);
    const note = document.createElement("div");
    note.className = "note";
    note.dataset.testid = kind;
    note.textContent = text;
    r.append(note);
    appendRow(r, false);
  }

  function showTyping(on) {
    const stick = nearBottom();
    ui.typing.hidden = !on;
    if (on && stick) ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  // --- connection -----------------------------------------------------------------------------

  function send(message) {
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  function renderStatus() {
    const t = TEXTS[state.language];
    const { kind } = state.status;
    ui.status.hidden = kind === "online";
    if (kind === "connecting") ui.status.textContent = t.connecting;
    if (kind === "offline") {
      const seconds = Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000));
      ui.status.textContent = t.offline(seconds);
    }
  }

  function setStatus(kind) {
    state.status = { kind };
    renderStatus();
  }

  function setOnline(online) {
    state.online = online;
    // Typed text stays in the box while offline; only sending waits for the connection.
    updateSend();
    for (const button of ui.log.querySelectorAll(".choices:not(.answered) button")) {
      button.disabled = !online;
    }
    if (!online) showTyping(false);
  }

  function updateSend() {
    ui.send.disabled = !state.online || !ui.input.value.trim();
  }

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/chat/ws`;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    setStatus("connecting");
    const socket = new WebSocket(socketUrl());
    state.socket = socket;
    const giveUp = setTimeout(() => socket.close(), CONNECT_TIMEOUT_MS);
    socket.addEventListener("open", () => {
      clearTimeout(giveUp);
      state.restored = false;
      setStatus("online");
      setOnline(true);
      if (state.pendingLanguage) send({ type: "language", language: state.pendingLanguage });
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message === "object") receive(message);
    });
    socket.addEventListener("close", () => {
      clearTimeout(giveUp);
      if (state.socket !== socket) return;
      state.socket = null;
      setOnline(false);
      scheduleReconnect();
    });
  }

  /** Waits 1 s, 2 s, 4 s … up to 15 s between attempts; a history message resets the count. */
  function scheduleReconnect() {
    const delay = Math.min(FIRST_RETRY_MS * 2 ** state.retries, MAX_RETRY_MS);
    state.retries += 1;
    state.retryAt = Date.now() + delay;
    setStatus("offline");
    const tick = () => {
      if (state.status.kind !== "offline") return;
      if (Date.now() >= state.retryAt) {
        connect();
        return;
      }
      renderStatus();
      state.retryTimer = setTimeout(tick, Math.min(1000, state.retryAt - Date.now()));
    };
    state.retryTimer = setTimeout(tick, Math.min(1000, delay));
  }

  // --- messages from the gateway ----------------------------------------------------------

  const textOf = (message) => (typeof message.text === "string" ? message.text : "");
  const buttonsOf = (message) =>
    Array.isArray(message.buttons)
      ? message.buttons.filter(
          (b) => b && typeof b.title === "string" && typeof b.token === "string",
        )
      : [];

  function receive(message) {
    switch (message.type) {
      case "history":
        restore(message);
        break;
      case "bot":
        showTyping(false);
        // The page speaks the conversation's language: the bot switched ("/language", or
        // the user simply wrote in another one), so the page follows without telling it.
        if (LANGUAGES.includes(message.language) && message.language !== state.language) {
          applyLanguage(message.language);
        }
        addBot(textOf(message), buttonsOf(message));
        break;
      case "typing":
        showTyping(Boolean(message.on) && state.online);
        break;
      case "notice":
        addNotice(textOf(message), "notice");
        break;
      case "error":
        addNotice(textOf(message), "error");
        break;
      default:
        break;
    }
  }

  function restore(message) {
    state.retries = 0;
    // Busy while it is rebuilt, so assistive technology takes the log in once, not node by node.
    ui.log.setAttribute("aria-busy", "true");
    ui.log.replaceChildren();
    showTyping(false);
    for (const m of Array.isArray(message.messages) ? message.messages : []) {
      if (!m || typeof m !== "object") continue;
      if (m.from === "user") addUser(textOf(m));
      else if (m.from === "bot") addBot(textOf(m), buttonsOf(m));
    }
    ui.log.removeAttribute("aria-busy");
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
    // A language the user just picked beats the one the gateway remembered: it was sent on open.
    state.restored = true;
    if (state.pendingLanguage) state.pendingLanguage = null;
    else if (LANGUAGES.includes(message.language)) applyLanguage(message.language);
  }

  // --- what the user does -------------------------------------------------------------------

  function choose(group, button, title, token) {
    if (!send({ type: "choice", token })) return;
    addUser(title);
    button.classList.add("chosen");
    group.classList.add("answered");
    for (const b of group.querySelectorAll("button")) b.disabled = true;
    ui.input.focus();
  }

  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.input.value.trim().slice(0, MAX_LENGTH);
    if (!text) return;
    if (send({ type: "message", text })) {
      addUser(text);
      ui.input.value = "";
      updateSend();
    }
    ui.input.focus();
  });

  ui.input.addEventListener("input", updateSend);

  // The conversation's box shrinks when the status line appears or a phone's keyboard opens:
  // keep the latest message in view if it was.
  ui.scroller.addEventListener("scroll", () => {
    state.atBottom = nearBottom();
  }, { passive: true });
  new ResizeObserver(() => {
    if (state.atBottom) ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }).observe(ui.scroller);

  ui.language.addEventListener("change", () => {
    const language = ui.language.value;
    if (!LANGUAGES.includes(language)) return;
    applyLanguage(language);
    const sent = send({ type: "language", language });
    state.pendingLanguage = sent && state.restored ? null : language;
  });

  applyLanguage(browserLanguage());
  connect();
})();
