// Chat client: a nickname page, then the conversation. Plain DOM, no framework.
(() => {
  const TYPING_IDLE_MS = 500;
  const socket = io();

  const $ = (id) => document.getElementById(id);
  const messages = $("messages");
  const messageInput = $("message");

  let username;
  let typingTimer;
  const typingUsers = new Set();

  $("via").textContent = `connected through ${location.host}`;

  function addItem(build) {
    const li = document.createElement("li");
    build(li);
    messages.appendChild(li);
    messages.scrollTop = messages.scrollHeight;
  }

  function log(text) {
    addItem((li) => {
      li.className = "log";
      li.textContent = text;
    });
  }

  function addMessage(name, text) {
    addItem((li) => {
      const who = document.createElement("span");
      who.className = "name";
      who.textContent = name;
      li.append(who, text);
    });
  }

  function logCount(numUsers) {
    log(numUsers === 1 ? "there's 1 participant" : `there are ${numUsers} participants`);
  }

  function renderTyping() {
    const names = [...typingUsers];
    $("typing").textContent =
      names.length === 0 ? "" : `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing...`;
  }

  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("nickname").value.trim();
    if (!name) return;
    username = name;
    $("login").hidden = true;
    $("chat").hidden = false;
    messageInput.focus();
    socket.emit("add user", username);
  });

  $("message-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = messageInput.value.trim();
    if (!text) return;
    messageInput.value = "";
    addMessage(username, text);
    socket.emit("new message", text);
    stopTyping();
  });

  messageInput.addEventListener("input", () => {
    if (typingTimer === undefined) socket.emit("typing");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });

  function stopTyping() {
    if (typingTimer === undefined) return;
    clearTimeout(typingTimer);
    typingTimer = undefined;
    socket.emit("stop typing");
  }

  socket.on("login", ({ numUsers }) => {
    log("Welcome to the Socket.IO chat");
    logCount(numUsers);
  });

  socket.on("new message", ({ username: from, message }) => {
    typingUsers.delete(from);
    renderTyping();
    addMessage(from, message);
  });

  socket.on("user joined", ({ username: who, numUsers }) => {
    log(`${who} joined`);
    logCount(numUsers);
  });

  socket.on("user left", ({ username: who, numUsers }) => {
    log(`${who} left`);
    logCount(numUsers);
    typingUsers.delete(who);
    renderTyping();
  });

  socket.on("typing", ({ username: who }) => {
    typingUsers.add(who);
    renderTyping();
  });

  socket.on("stop typing", ({ username: who }) => {
    typingUsers.delete(who);
    renderTyping();
  });

  socket.on("disconnect", () => {
    if (username) log("you have been disconnected");
  });

  // the server forgets who we were with the old connection: log in again
  socket.io.on("reconnect", () => {
    if (!username) return;
    log("you have been reconnected");
    socket.emit("add user", username);
  });
})();
