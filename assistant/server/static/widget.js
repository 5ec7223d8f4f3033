/*
 * City concierge chat widget: one script tag, plain JavaScript, no build step.
 *
 *   <script src="https://your.server:5005/widget.js"
 *           data-transport="socketio"   (or "rest")
 *           data-token="..."            (only when the server runs with --auth-token / --jwt-secret)
 *           data-title="City concierge"
 *           data-open="false"></script>
 *
 * or, with data-auto="false" on the tag, from your own code:
 *
 *   var chat = ConciergeWidget.init({server: "https://your.server:5005", transport: "rest"});
 *   chat.send("hi");
 *
 * The conversation id is kept in localStorage, so a page reload continues the conversation.
 * socket.io is spoken directly over a WebSocket (Engine.IO 4 / Socket.IO 5 packets), REST with fetch.
 * Buttons in bot messages become quick replies: a click sends their payload and shows their title.
 */
(function () {
  "use strict";
  if (window.ConciergeWidget) {
    return;
  }
  var currentScript = document.currentScript;

  var CSS = [
    ".cw-root{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2933}",
    ".cw-launcher{width:56px;height:56px;border-radius:50%;border:0;background:#2563eb;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);float:right;display:flex;align-items:center;justify-content:center}",
    ".cw-panel{display:none;flex-direction:column;width:340px;height:480px;max-height:calc(100vh - 100px);margin-bottom:12px;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}",
    ".cw-root.cw-open .cw-panel{display:flex}",
    ".cw-header{background:#2563eb;color:#fff;padding:12px 14px;display:flex;align-items:center;justify-content:space-between}",
    ".cw-title{font-weight:600}",
    ".cw-status{font-size:12px;opacity:.85}",
    ".cw-messages{flex:1;overflow-y:auto;padding:12px;background:#f5f7fa}",
    ".cw-message{margin:6px 0;display:flex;flex-direction:column}",
    ".cw-message .cw-text{display:inline-block;padding:8px 11px;border-radius:14px;max-width:80%;white-space:pre-wrap;word-wrap:break-word}",
    ".cw-user{align-items:flex-end}.cw-user .cw-text{background:#2563eb;color:#fff;border-bottom-right-radius:4px}",
    ".cw-bot{align-items:flex-start}.cw-bot .cw-text{background:#fff;border:1px solid #e3e8ef;border-bottom-left-radius:4px}",
    ".cw-note .cw-text{background:#fff4e5;border:1px solid #f5c27a;color:#7a4b00;font-size:12px}",
    ".cw-image{max-width:80%;border-radius:10px;margin-top:4px}",
    ".cw-quick-replies{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}",
    ".cw-quick-reply{border:1px solid #2563eb;background:#fff;color:#2563eb;border-radius:16px;padding:5px 11px;cursor:pointer;font:inherit}",
    ".cw-quick-reply:hover{background:#2563eb;color:#fff}",
    ".cw-form{display:flex;border-top:1px solid #e3e8ef;background:#fff}",
    ".cw-input{flex:1;border:0;padding:12px;font:inherit;outline:none;min-width:0}",
    ".cw-send{border:0;background:transparent;color:#2563eb;font-weight:600;padding:0 14px;cursor:pointer;font:inherit}",
    ".cw-typing .cw-text{color:#7b8794;font-style:italic}"
  ].join("\n");

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var s = "";
    for (var i = 0; i < 32; i++) {
      s += Math.floor(Math.random() * 16).toString(16);
    }
    return s;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function chatIcon() {   /* a speech bubble; no emoji, which not every system can draw */
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    [7, 12, 17].forEach(function (x) {
      var dot = document.createElementNS(ns, "circle");
      dot.setAttribute("cx", String(x));
      dot.setAttribute("cy", "10.5");
      dot.setAttribute("r", "1.5");
      dot.setAttribute("fill", "#2563eb");
      svg.appendChild(dot);
    });
    return svg;
  }

  function storage() {
    try {
      var probe = "__cw_probe__";
      window.localStorage.setItem(probe, probe);
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      var memory = {};
      return {
        getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
        setItem: function (k, v) { memory[k] = String(v); },
        removeItem: function (k) { delete memory[k]; }
      };
    }
  }

  function originOf(src) {
    try {
      var u = new URL(src, window.location.href);
      return u.origin;
    } catch (e) {
      return window.location.origin;
    }
  }

  /* ------------------------------------------------------------------ socket.io over WebSocket */
  function SocketIO(server, path, auth, handlers) {
    this.server = server;
    this.path = path;
    this.auth = auth;
    this.handlers = handlers;
    this.ws = null;
    this.closed = false;
    this.retry = 500;
    this.connect();
  }

  SocketIO.prototype.connect = function () {
    var self = this;
    var url = this.server.replace(/^http/, "ws") + this.path + "?EIO=4&transport=websocket";
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      self.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onmessage = function (event) {
      self.onPacket(String(event.data));
    };
    ws.onclose = function () {
      if (self.ws === ws) {
        self.ws = null;
        self.handlers.disconnect();
        self.scheduleReconnect();
      }
    };
    ws.onerror = function () { /* onclose follows */ };
  };

  SocketIO.prototype.scheduleReconnect = function () {
    var self = this;
    if (this.closed) {
      return;
    }
    setTimeout(function () { self.connect(); }, this.retry);
    this.retry = Math.min(this.retry * 2, 10000);
  };

  SocketIO.prototype.onPacket = function (data) {
    var type = data.charAt(0);
    if (type === "0") {            // Engine.IO open: join the default namespace (with credentials)
      this.ws.send("40" + (this.auth ? JSON.stringify(this.auth) : ""));
    } else if (type === "2") {     // ping
      this.ws.send("3");
    } else if (type === "1") {     // close
      this.ws.close();
    } else if (type === "4") {     // a Socket.IO packet
      var sio = data.charAt(1);
      var rest = data.slice(2);
      if (sio === "0") {
        this.retry = 500;
        this.handlers.connect();
      } else if (sio === "4") {
        var reason = "refused";
        try { reason = JSON.parse(rest).message || reason; } catch (e) { /* keep */ }
        this.closed = true;   // refused credentials do not get better by retrying
        this.handlers.refused(reason);
        this.ws.close();
      } else if (sio === "2") {
        var body = rest.replace(/^\d+/, "");   // an ack id, if any
        try {
          var args = JSON.parse(body);
          this.handlers.event(args[0], args[1]);
        } catch (e) { /* not for us */ }
      } else if (sio === "1") {
        this.ws.close();
      }
    }
  };

  SocketIO.prototype.emit = function (event, data) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send("42" + JSON.stringify([event, data]));
      return true;
    }
    return false;
  };

  SocketIO.prototype.close = function () {
    this.closed = true;
    if (this.ws) {
      this.ws.close();
    }
  };

  /* ------------------------------------------------------------------ the widget */
  function Widget(options) {
    options = options || {};
    this.server = (options.server || window.location.origin).replace(/\/+$/, "");
    this.transport = options.transport === "rest" ? "rest" : "socketio";
    this.token = options.token || null;
    this.title = options.title || "City concierge";
    this.socketPath = options.socketPath || "/socket.io/";
    this.customData = options.customData || {};
    this.store = storage();
    this.storageKey = options.storageKey || ("concierge-widget:" + this.server + ":session");
    this.sessionId = this.store.getItem(this.storageKey);
    this.ready = false;
    this.outbox = [];
    this.restChain = Promise.resolve();
    this.build(options.container);
    if (this.sessionId) {
      this.root.setAttribute("data-session-id", this.sessionId);
    }
    if (this.transport === "rest") {
      if (!this.sessionId) {
        this.setSession(uuid());
      }
      this.setReady(true);
    } else {
      this.openSocket();
    }
    if (options.open) {
      this.open();
    }
  }

  Widget.prototype.build = function (container) {
    if (!document.getElementById("cw-style")) {
      var style = el("style");
      style.id = "cw-style";
      style.textContent = CSS;
      document.head.appendChild(style);
    }
    var root = el("div", "cw-root");
    root.setAttribute("data-transport", this.transport);
    var panel = el("div", "cw-panel");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", this.title);
    var header = el("div", "cw-header");
    header.appendChild(el("span", "cw-title", this.title));
    this.statusNode = el("span", "cw-status", "connecting…");
    header.appendChild(this.statusNode);
    this.messages = el("div", "cw-messages");
    this.messages.setAttribute("role", "log");
    this.messages.setAttribute("aria-live", "polite");
    var form = el("form", "cw-form");
    this.input = el("input", "cw-input");
    this.input.type = "text";
    this.input.placeholder = "Type a message…";
    this.input.setAttribute("aria-label", "Message");
    this.input.autocomplete = "off";
    var send = el("button", "cw-send", "Send");
    send.type = "submit";
    form.appendChild(this.input);
    form.appendChild(send);
    panel.appendChild(header);
    panel.appendChild(this.messages);
    panel.appendChild(form);
    var launcher = el("button", "cw-launcher");
    launcher.type = "button";
    launcher.appendChild(chatIcon());
    launcher.setAttribute("aria-label", "Open the chat");
    root.appendChild(panel);
    root.appendChild(launcher);
    (container || document.body).appendChild(root);
    this.root = root;

    var self = this;
    launcher.addEventListener("click", function () { self.toggle(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value;
      if (!text.trim()) {
        return;
      }
      self.input.value = "";
      self.send(text);
    });
  };

  Widget.prototype.open = function () {
    this.root.classList.add("cw-open");
    this.input.focus();
  };
  Widget.prototype.close = function () { this.root.classList.remove("cw-open"); };
  Widget.prototype.toggle = function () {
    if (this.root.classList.contains("cw-open")) { this.close(); } else { this.open(); }
  };

  Widget.prototype.setSession = function (id) {
    this.sessionId = id;
    this.store.setItem(this.storageKey, id);
    this.root.setAttribute("data-session-id", id);
  };

  Widget.prototype.setReady = function (ready, text) {
    this.ready = ready;
    this.root.setAttribute("data-ready", ready ? "true" : "false");
    this.statusNode.textContent = text || (ready ? "online" : "connecting…");
    if (ready) {
      var queued = this.outbox;
      this.outbox = [];
      for (var i = 0; i < queued.length; i++) {
        this.deliver(queued[i]);
      }
    }
  };

  Widget.prototype.openSocket = function () {
    var self = this;
    this.socket = new SocketIO(this.server, this.socketPath, this.token ? {token: this.token} : null, {
      connect: function () {
        self.socket.emit("session_request", {session_id: self.sessionId || null});
      },
      disconnect: function () { self.setReady(false); },
      refused: function (reason) {
        self.setReady(false, "offline");
        self.note("The chat server refused the connection: " + reason);
      },
      event: function (name, data) {
        if (name === "session_confirm") {
          self.setSession(data && data.session_id ? data.session_id : String(data));
          self.setReady(true);
        } else if (name === "bot_uttered") {
          self.renderBot(data || {});
        } else if (name === "assistant_error") {
          /* shown through the bot_uttered note that comes with it, if any */
        }
      }
    });
  };

  /* the text shown (title of a quick reply, or what was typed) and the text sent may differ */
  Widget.prototype.send = function (text, shown) {
    this.renderUser(shown === undefined ? text : shown);
    if (this.ready) {
      this.deliver(text);
    } else {
      this.outbox.push(text);
    }
  };

  Widget.prototype.deliver = function (text) {
    if (this.transport === "rest") {
      this.deliverRest(text);
    } else if (!this.socket.emit("user_uttered", {message: text, session_id: this.sessionId, customData: this.customData})) {
      this.outbox.push(text);
    }
  };

  Widget.prototype.deliverRest = function (text) {
    var self = this;
    var url = this.server + "/webhooks/rest/webhook" + (this.token ? "?token=" + encodeURIComponent(this.token) : "");
    var body = JSON.stringify({sender: this.sessionId, message: text, metadata: this.customData});
    // one request at a time: the answers come back in the order the messages were sent
    this.restChain = this.restChain.then(function () {
      var typing = self.renderTyping();
      return fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: body})
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (data) {
            typing.remove();
            if (!response.ok) {
              self.note("Could not send that (" + response.status + "): " + ((data && data.error) || response.statusText));
              return;
            }
            (data || []).forEach(function (message) { self.renderBot(message); });
          });
        })
        .catch(function (error) {
          typing.remove();
          self.note("Could not reach the assistant: " + error);
        });
    });
  };

  Widget.prototype.append = function (node) {
    this.messages.appendChild(node);
    this.messages.scrollTop = this.messages.scrollHeight;
    return node;
  };

  Widget.prototype.renderUser = function (text) {
    var row = el("div", "cw-message cw-user");
    row.appendChild(el("span", "cw-text", text));
    return this.append(row);
  };

  Widget.prototype.renderTyping = function () {
    var row = el("div", "cw-message cw-bot cw-typing");
    row.appendChild(el("span", "cw-text", "…"));
    return this.append(row);
  };

  Widget.prototype.note = function (text) {
    var row = el("div", "cw-message cw-note");
    row.appendChild(el("span", "cw-text", text));
    return this.append(row);
  };

  /* a REST message ({text, buttons, image, custom}) or a socket.io one ({text, quick_replies, attachment}) */
  Widget.prototype.renderBot = function (message) {
    var self = this;
    var row = el("div", "cw-message cw-bot");
    if (message.text !== undefined && message.text !== null && message.text !== "") {
      row.appendChild(el("span", "cw-text", message.text));
    }
    var image = message.image || (message.attachment && message.attachment.type === "image" &&
      message.attachment.payload && message.attachment.payload.src);
    if (image) {
      var img = el("img", "cw-image");
      img.src = String(image);
      img.alt = "";
      row.appendChild(img);
    }
    var replies = message.quick_replies || message.buttons || [];
    if (replies.length) {
      var group = el("div", "cw-quick-replies");
      replies.forEach(function (reply) {
        var button = el("button", "cw-quick-reply", reply.title);
        button.type = "button";
        button.setAttribute("data-payload", reply.payload);
        button.addEventListener("click", function () {
          group.remove();   // a quick reply is answered once
          self.send(String(reply.payload), String(reply.title));
        });
        group.appendChild(button);
      });
      row.appendChild(group);
    }
    if (!row.childNodes.length && message.custom !== undefined) {
      row.appendChild(el("span", "cw-text", JSON.stringify(message.custom)));
    }
    if (row.childNodes.length) {
      this.append(row);
    }
  };

  Widget.prototype.destroy = function () {
    if (this.socket) {
      this.socket.close();
    }
    this.root.remove();
  };

  window.ConciergeWidget = {
    init: function (options) {
      var widget = new Widget(options);
      window.ConciergeWidget.instance = widget;
      return widget;
    },
    Widget: Widget
  };

  function attr(name) {
    return currentScript ? currentScript.getAttribute("data-" + name) : null;
  }

  if (currentScript && attr("auto") !== "false") {
    var customData = {};
    try { customData = JSON.parse(attr("custom-data") || "{}"); } catch (e) { customData = {}; }
    var start = function () {
      window.ConciergeWidget.init({
        server: attr("server") || originOf(currentScript.src),
        transport: attr("transport") || "socketio",
        token: attr("token"),
        title: attr("title"),
        socketPath: attr("socket-path"),
        customData: customData,
        open: attr("open") === "true"
      });
    };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
})();
