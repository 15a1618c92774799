// The sandbox's web chat: one pane per person and one for the moderators' group, drawn from /api/state by long polling.
// No framework, nothing from outside this origin.
"use strict";

const panes = new Map(); // chat id -> { root, list, toast, json, person }
const pending = new Map(); // callback query id -> pane that pressed
let version = null;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function post(path, body) {
  const init = { method: "POST", headers: { "X-Sandbox": "1" } };
  if (body instanceof FormData) {
    init.body = body;
  } else {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  return response.ok && response.status !== 204 ? response.json() : null;
}

function pane(chat, title, subtitle, person, isGroup) {
  const root = el("section", "pane" + (isGroup ? " group" : ""));
  root.dataset.chat = chat;
  root.dataset.person = isGroup ? "group" : person;
  const heading = el("h2", null, title + " ");
  heading.append(el("small", null, subtitle));
  const list = el("div", "messages");
  const toast = el("div", "toast");
  toast.setAttribute("role", "status");
  root.append(heading, list, toast);
  if (isGroup) {
    root.append(el("div", "hint", "Buttons here are pressed as the moderator."));
  } else {
    const form = el("form", "compose");
    const input = el("input");
    input.type = "text";
    input.name = "text";
    input.placeholder = "Message or /command";
    input.autocomplete = "off";
    const send = el("button", "send", "Send");
    send.type = "submit";
    form.append(input, send, upload("photo", "Photo", person), upload("document", "File", person));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (text) post("/api/send", { person, text });
      input.value = "";
    });
    root.append(form);
  }
  document.getElementById("chats").append(root);
  const entry = { root, list, toast, json: "", person };
  panes.set(String(chat), entry);
  return entry;
}

function upload(kind, label, person) {
  const holder = el("label", "upload " + kind, label);
  holder.title = kind === "photo" ? "Send a picture as a photo" : "Send a file as a document";
  const input = el("input");
  input.type = "file";
  input.name = kind;
  if (kind === "photo") input.accept = "image/*";
  input.addEventListener("change", async () => {
    if (!input.files.length) return;
    const form = new FormData();
    form.append("person", person);
    form.append("kind", kind);
    form.append("file", input.files[0]);
    await post("/api/upload", form);
    input.value = "";
  });
  holder.append(input);
  return holder;
}

function draw(entry, chat, messages, presser) {
  const json = JSON.stringify(messages);
  if (json === entry.json) return;
  entry.json = json;
  const atBottom = entry.list.scrollHeight - entry.list.scrollTop - entry.list.clientHeight < 40;
  entry.list.replaceChildren();
  for (const m of messages) {
    if (m.deleted) {
      const gone = el("div", "msg deleted", m.bot ? "The bot deleted a message" : "A message was deleted");
      gone.dataset.id = m.id;
      entry.list.append(gone);
      continue;
    }
    const box = el("div", "msg" + (m.bot ? " bot" : " mine"));
    box.dataset.id = m.id;
    if (m.photo) {
      const img = el("img");
      img.alt = "photo";
      img.src = "/api/file/" + chat + "/" + m.id;
      box.append(img);
    }
    if (m.document) {
      const link = el("a", "document", "📄 " + m.document);
      link.href = "/api/file/" + chat + "/" + m.id;
      link.download = m.document;
      box.append(link, document.createElement("br"));
    }
    const text = el("span", "text");
    text.innerHTML = m.html; // rendered and escaped by the server from the message's entities
    box.append(text);
    if (m.buttons.length) {
      const buttons = el("div", "buttons");
      for (const row of m.buttons) {
        const line = el("div", "row");
        for (const b of row) {
          if (b.url) {
            const a = el("a", "inline", b.text);
            a.href = b.url;
            a.rel = "noreferrer noopener";
            a.target = "_blank";
            line.append(a);
          } else {
            const button = el("button", "inline", b.text);
            button.type = "button";
            button.dataset.callback = b.data;
            button.addEventListener("click", async () => {
              const answer = await post("/api/press", { person: presser, chat: Number(chat), message: m.id, data: b.data });
              if (answer) pending.set(answer.query, entry);
            });
            line.append(button);
          }
        }
        buttons.append(line);
      }
      box.append(buttons);
    }
    box.append(el("span", "meta", (m.edited ? "edited " : "") + m.time));
    entry.list.append(box);
  }
  if (atBottom) entry.list.scrollTop = entry.list.scrollHeight;
}

function render(state) {
  if (!panes.size) {
    for (const p of state.people) pane(p.chat, p.name, p.role + " · " + p.language, p.key, false);
    pane(state.group.chat, state.group.title, "moderators' group", state.group.presser, true);
    document.querySelector(".feed").textContent = "/addfeed http://feeds.sandbox.test:" + location.port + "/feed.xml";
  }
  for (const p of state.people) draw(panes.get(String(p.chat)), p.chat, p.messages, p.key);
  draw(panes.get(String(state.group.chat)), state.group.chat, state.group.messages, state.group.presser);
  for (const a of state.answers) {
    const entry = pending.get(a.query);
    if (!entry) continue;
    pending.delete(a.query);
    entry.toast.textContent = a.text || "";
    if (a.text) setTimeout(() => { if (entry.toast.textContent === a.text) entry.toast.textContent = ""; }, a.alert ? 8000 : 4000);
  }
}

async function poll() {
  for (;;) {
    try {
      const response = await fetch("/api/state" + (version === null ? "" : "?v=" + version));
      if (response.ok) {
        const state = await response.json();
        version = state.version;
        render(state);
        continue;
      }
    } catch (e) {
      // the sandbox stopped or restarted: try again shortly
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

poll();
