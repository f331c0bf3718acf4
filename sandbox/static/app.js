// Demo chat page for the Telegram sandbox: pick a persona, then chat with the bot through /sim.
// Everything the bot sends is rendered with DOM APIs (textContent), never parsed as HTML: no XSS.
"use strict";

(function () {
  const STRINGS = {
    en: {
      choose: "Choose who you are",
      choose_hint: "Each persona is a Telegram user talking to the bot.",
      no_personas: "No personas configured. Start as a guest:",
      guest: "Guest",
      guest_desc: "A new Telegram user",
      placeholder: "Message",
      block: "Block bot",
      unblock: "Unblock bot",
      blocked: "You blocked the bot",
      typing: "typing…",
      bot: "bot",
      edited: "edited",
      deleted: "message deleted",
      contact: "Contact",
      error: "Error",
    },
    lv: {
      choose: "Izvēlieties, kas jūs esat",
      choose_hint: "Katra persona ir Telegram lietotājs, kas sarakstās ar botu.",
      no_personas: "Personas nav norādītas. Sāciet kā viesis:",
      guest: "Viesis",
      guest_desc: "Jauns Telegram lietotājs",
      placeholder: "Ziņa",
      block: "Bloķēt botu",
      unblock: "Atbloķēt botu",
      blocked: "Jūs bloķējāt botu",
      typing: "raksta…",
      bot: "bots",
      edited: "labots",
      deleted: "ziņa dzēsta",
      contact: "Kontakts",
      error: "Kļūda",
    },
  };
  const lang = (navigator.language || "en").toLowerCase().startsWith("lv") ? "lv" : "en";
  const t = (key) => STRINGS[lang][key] || STRINGS.en[key] || key;

  const $ = (selector) => document.querySelector(selector);
  const state = {
    persona: null,
    userId: null,
    version: -1,
    poll: null,
    rendered: new Map(),
    blocked: false,
    seenAnswers: new Set(),
  };

  // ------------------------------------------------------------------ helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    if (typeof url !== "string") return null;
    const lower = url.trim().toLowerCase();
    if (lower.startsWith("/sim/files/")) return url;
    return /^(https?:|tg:|mailto:)/.test(lower) ? url.trim() : null;
  }

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  let toastTimer = null;
  function toast(text, alert) {
    const box = $("#toast");
    box.textContent = text;
    box.classList.toggle("alert", Boolean(alert));
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, alert ? 5000 : 2500);
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function formatTime(unix) {
    const date = new Date(unix * 1000);
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // ------------------------------------------------------------------ entities → DOM

  function entityElement(entity) {
    switch (entity.type) {
      case "bold": return el("b");
      case "italic": return el("i");
      case "underline": return el("u");
      case "strikethrough": return el("s");
      case "code": return el("code");
      case "pre": {
        const pre = el("pre");
        pre.dataset.inner = "code";
        return pre;
      }
      case "blockquote":
      case "expandable_blockquote":
        return el("blockquote");
      case "spoiler": {
        const span = el("span", "spoiler");
        span.addEventListener("click", () => span.classList.add("revealed"));
        return span;
      }
      case "text_link":
      case "url": {
        const href = entity.type === "text_link" ? safeUrl(entity.url) : null;
        const link = el("a");
        if (href) {
          link.href = href;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
        }
        link.dataset.entity = entity.type;
        return link;
      }
      case "bot_command": return el("span", "command");
      default: return el("span");
    }
  }

  function buildRange(parent, text, start, end, entities) {
    let pos = start;
    let i = 0;
    while (i < entities.length) {
      const entity = entities[i];
      if (entity.offset >= end) break;
      if (entity.offset < pos) { i += 1; continue; }
      if (entity.offset > pos) parent.appendChild(document.createTextNode(text.slice(pos, entity.offset)));
      const entityEnd = Math.min(entity.offset + entity.length, end);
      const inner = [];
      let j = i + 1;
      while (j < entities.length && entities[j].offset < entityEnd) { inner.push(entities[j]); j += 1; }
      const node = entityElement(entity);
      let target = node;
      if (node.dataset && node.dataset.inner === "code") {
        target = el("code");
        node.appendChild(target);
      }
      buildRange(target, text, entity.offset, entityEnd, inner);
      if (entity.type === "url" && !node.href) {
        const href = safeUrl(text.slice(entity.offset, entityEnd));
        if (href) { node.href = href; node.target = "_blank"; node.rel = "noopener noreferrer"; }
      }
      parent.appendChild(node);
      pos = entityEnd;
      i = j;
    }
    if (pos < end) parent.appendChild(document.createTextNode(text.slice(pos, end)));
  }

  // Offsets are UTF-16 code units, like JavaScript string indices.
  function renderFormatted(className, text, entities) {
    const box = el("div", className);
    const sorted = (entities || [])
      .filter((e) => e && e.length > 0)
      .slice()
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    buildRange(box, text, 0, text.length, sorted);
    return box;
  }

  // ------------------------------------------------------------------ messages

  function renderFile(file, isPhoto) {
    const href = safeUrl(file.url);
    if (isPhoto) {
      const link = el("a");
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "photo-link";
      const img = el("img", "photo");
      img.src = href;
      img.alt = "photo";
      link.appendChild(img);
      return link;
    }
    const link = el("a", "file-link");
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    const name = file.file_name || "file";
    const extension = name.includes(".") ? name.split(".").pop().slice(0, 4).toUpperCase() : "FILE";
    link.appendChild(el("span", "file-icon", extension));
    const info = el("span");
    info.appendChild(el("div", "file-name", name));
    info.appendChild(el("div", "file-size", formatSize(file.file_size || 0)));
    link.appendChild(info);
    return link;
  }

  function renderKeyboard(message) {
    const markup = message.reply_markup;
    if (!markup || !Array.isArray(markup.inline_keyboard) || message.deleted) return null;
    const box = el("div", "inline-keyboard");
    box.dataset.messageId = message.message_id;
    for (const row of markup.inline_keyboard) {
      const rowBox = el("div", "inline-row");
      for (const button of row) {
        let node;
        const href = button.url ? safeUrl(button.url) : null;
        if (href) {
          node = el("a", "inline-btn", button.text);
          node.href = href;
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        } else {
          node = el("button", "inline-btn", button.text);
          node.type = "button";
          if (button.callback_data !== undefined) {
            node.dataset.callback = button.callback_data;
            node.addEventListener("click", () => press(message.message_id, button.callback_data));
          }
        }
        rowBox.appendChild(node);
      }
      box.appendChild(rowBox);
    }
    return box;
  }

  function renderMessage(message, byId) {
    const wrap = el("div", "msg-wrap");
    const bubble = el("div", "msg " + (message.sender === "bot" ? "bot" : "user"));
    bubble.dataset.messageId = message.message_id;
    bubble.id = "msg-" + message.message_id;
    if (message.deleted) {
      bubble.classList.add("deleted");
      bubble.appendChild(el("div", "text", t("deleted")));
      wrap.appendChild(bubble);
      return wrap;
    }
    if (message.reply_to_message_id && byId.has(message.reply_to_message_id)) {
      const quoted = byId.get(message.reply_to_message_id);
      const snippet = (quoted.text || quoted.caption || "").slice(0, 80);
      bubble.appendChild(el("div", "reply-quote", snippet));
    }
    if (message.photo) bubble.appendChild(renderFile(message.photo, true));
    if (message.document) bubble.appendChild(renderFile(message.document, false));
    if (message.contact) {
      const card = el("div", "contact-card");
      const name = [message.contact.first_name, message.contact.last_name].filter(Boolean).join(" ");
      card.appendChild(el("span", "avatar", (name || "?").slice(0, 1).toUpperCase()));
      const info = el("span");
      info.appendChild(el("div", "file-name", name || t("contact")));
      info.appendChild(el("div", "file-size", message.contact.phone_number));
      card.appendChild(info);
      bubble.appendChild(card);
    }
    if (message.text !== null && message.text !== undefined) {
      bubble.appendChild(renderFormatted("text", message.text, message.entities));
    }
    if (message.caption) {
      bubble.appendChild(renderFormatted("caption", message.caption, message.caption_entities));
    }
    const meta = el("div", "meta");
    if (message.edited) {
      meta.appendChild(el("span", "edited", t("edited") + " "));
      bubble.classList.add("is-edited");
    }
    meta.appendChild(document.createTextNode(formatTime(message.edit_date || message.date)));
    bubble.appendChild(meta);
    wrap.appendChild(bubble);
    const keyboard = renderKeyboard(message);
    if (keyboard) wrap.appendChild(keyboard);
    return wrap;
  }

  function renderTranscript(transcript) {
    const list = $("#messages");
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const byId = new Map(transcript.messages.map((m) => [m.message_id, m]));
    let previous = null;
    for (const message of transcript.messages) {
      const key = JSON.stringify(message);
      const known = state.rendered.get(message.message_id);
      let node;
      if (known && known.key === key) {
        node = known.node;
      } else {
        node = renderMessage(message, byId);
        if (known) known.node.replaceWith(node);
        state.rendered.set(message.message_id, { key, node });
      }
      if (node.parentNode !== list || (previous ? previous.nextSibling : list.firstChild) !== node) {
        list.insertBefore(node, previous ? previous.nextSibling : list.firstChild);
      }
      previous = node;
    }
    if (nearBottom) list.scrollTop = list.scrollHeight;
    renderReplyKeyboard(transcript.reply_keyboard);
    renderStatus(transcript);
    showAnswers(transcript.callbacks || []);
  }

  function renderReplyKeyboard(markup) {
    const box = $("#reply-keyboard");
    box.replaceChildren();
    if (!markup || !Array.isArray(markup.keyboard) || markup.keyboard.length === 0) {
      box.hidden = true;
      return;
    }
    for (const row of markup.keyboard) {
      const rowBox = el("div", "reply-row");
      for (const button of row) {
        const node = el("button", "reply-btn", button.text);
        node.type = "button";
        if (button.request_contact) {
          node.dataset.requestContact = "true";
          node.addEventListener("click", () => shareContact());
        } else {
          node.addEventListener("click", () => sendText(button.text));
        }
        rowBox.appendChild(node);
      }
      box.appendChild(rowBox);
    }
    box.hidden = false;
  }

  function renderStatus(transcript) {
    const status = $("#chat-status");
    const action = transcript.last_action;
    if (state.blocked) {
      status.textContent = t("blocked");
    } else if (action && Date.now() / 1000 - action.date < 5) {
      status.textContent = t("typing");
    } else {
      status.textContent = t("bot");
    }
  }

  function showAnswers(callbacks) {
    for (const callback of callbacks) {
      if (!callback.answered || state.seenAnswers.has(callback.id)) continue;
      state.seenAnswers.add(callback.id);
      if (callback.user_id === state.userId && callback.answer && callback.answer.text) {
        toast(callback.answer.text, callback.answer.show_alert);
      }
    }
  }

  // ------------------------------------------------------------------ actions

  async function guard(action) {
    try {
      await action();
    } catch (error) {
      toast(t("error") + ": " + error.message, false);
    }
  }

  function sendText(text) {
    if (!text) return Promise.resolve();
    return guard(() => api("POST", `/sim/users/${state.userId}/text`, { text }));
  }

  function shareContact() {
    return guard(() => api("POST", `/sim/users/${state.userId}/contact`, {}));
  }

  function press(messageId, data) {
    return guard(() => api("POST", `/sim/users/${state.userId}/press`, { message_id: messageId, data }));
  }

  function sendFile(file, caption) {
    const form = new FormData();
    form.append("file", file, file.name);
    if (caption) form.append("caption", caption);
    const kind = file.type && file.type.startsWith("image/") ? "photo" : "document";
    return guard(() => api("POST", `/sim/users/${state.userId}/${kind}`, form));
  }

  async function toggleBlock() {
    await guard(async () => {
      await api("POST", `/sim/users/${state.userId}/${state.blocked ? "unblock" : "block"}`);
      state.blocked = !state.blocked;
      $("#block-toggle").textContent = t(state.blocked ? "unblock" : "block");
    });
  }

  // ------------------------------------------------------------------ polling

  async function pollLoop(controller) {
    while (!controller.signal.aborted) {
      try {
        const url = `/sim/users/${state.userId}/transcript?wait=25&version=${state.version}`;
        const response = await fetch(url, { signal: controller.signal });
        const transcript = await response.json();
        if (controller.signal.aborted) return;
        state.version = transcript.version;
        renderTranscript(transcript);
      } catch (error) {
        if (controller.signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  // ------------------------------------------------------------------ views

  async function choosePersona(persona) {
    const user = await api("POST", "/sim/users", {
      id: persona.user_id,
      first_name: persona.name || t("guest"),
      language_code: persona.language || undefined,
      phone: persona.phone || undefined,
    });
    state.persona = persona;
    state.userId = user.id;
    state.blocked = Boolean(user.blocked);
    state.version = -1;
    state.rendered = new Map();
    state.seenAnswers = new Set();
    $("#messages").replaceChildren();
    $("#block-toggle").textContent = t(state.blocked ? "unblock" : "block");
    $("#persona-view").hidden = true;
    $("#chat-view").hidden = false;
    document.body.dataset.userId = String(user.id);
    $("#composer-input").focus();
    if (state.poll) state.poll.abort();
    state.poll = new AbortController();
    pollLoop(state.poll);
  }

  function showPersonas() {
    if (state.poll) state.poll.abort();
    state.poll = null;
    state.userId = null;
    delete document.body.dataset.userId;
    $("#chat-view").hidden = true;
    $("#persona-view").hidden = false;
  }

  function personaCard(persona) {
    const card = el("button", "persona-card");
    card.type = "button";
    card.setAttribute("role", "listitem");
    if (persona.user_id !== undefined) card.dataset.persona = String(persona.user_id);
    const initials = (persona.name || "?").split(/\s+/).map((p) => p[0] || "").join("").slice(0, 2);
    card.appendChild(el("span", "avatar", initials.toUpperCase()));
    const info = el("span");
    info.appendChild(el("div", "persona-name", persona.name || ""));
    info.appendChild(el("div", "persona-desc", persona.description || ""));
    if (persona.language) info.appendChild(el("div", "persona-lang", persona.language));
    card.appendChild(info);
    card.addEventListener("click", () => guard(() => choosePersona(persona)));
    return card;
  }

  async function loadPersonas() {
    const grid = $("#personas");
    grid.replaceChildren();
    let personas = [];
    try {
      personas = await api("GET", "/sim/personas");
    } catch (error) {
      toast(t("error") + ": " + error.message, false);
    }
    const info = await api("GET", "/sim/info").catch(() => null);
    if (info && info.bot) $("#bot-name").textContent = info.bot.first_name;
    for (const persona of personas) grid.appendChild(personaCard(persona));
    if (personas.length === 0) {
      $("#personas-empty").hidden = false;
      const guest = personaCard({ name: t("guest"), description: t("guest_desc") });
      guest.dataset.persona = "guest";
      grid.appendChild(guest);
    }
  }

  function applyStrings() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
  }

  function init() {
    applyStrings();
    $("#back").addEventListener("click", showPersonas);
    $("#block-toggle").addEventListener("click", toggleBlock);
    $("#composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("#composer-input");
      const text = input.value.trim();
      input.value = "";
      sendText(text);
    });
    $("#attach").addEventListener("change", (event) => {
      const file = event.target.files && event.target.files[0];
      if (!file) return;
      const input = $("#composer-input");
      const caption = input.value.trim();
      input.value = "";
      event.target.value = "";
      sendFile(file, caption);
    });
    loadPersonas();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
