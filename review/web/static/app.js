// review serve: keyboard first. Every key clicks a button or link of the page, so the
// page works the same without JavaScript; a decision is a form POST that the server
// stores before it answers, and only its answer says "Saved".
(function () {
  "use strict";
  const picker = document.getElementById("reasons");
  const note = document.getElementById("note");
  let picking = false;

  function setPicking(on) {
    picking = on && picker !== null;
    if (picker) picker.classList.toggle("picking", picking);
  }

  function typingIn(target) {
    return target instanceof HTMLElement &&
      (target.tagName === "TEXTAREA" || target.tagName === "INPUT" ||
       target.tagName === "SELECT" || target.isContentEditable);
  }

  function press(selector) {
    const element = document.querySelector(selector);
    if (element === null || element.disabled) return false;
    element.click();
    return true;
  }

  // One decision per page: a second key press while the first is being stored does
  // nothing, so holding a key cannot decide the next record unseen.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (document.body.classList.contains("saving")) {
        event.preventDefault();
        return;
      }
      document.body.classList.add("saving");
    });
  });
  window.addEventListener("pageshow", function () {
    document.body.classList.remove("saving");
  });

  const open = document.getElementById("open-reasons");
  if (open) open.addEventListener("click", function () { setPicking(!picking); });
  const noteKey = document.getElementById("note-key");
  const noteBox = document.getElementById("note-box");
  if (noteKey && note) {
    noteKey.addEventListener("click", function () {
      if (noteBox) noteBox.open = true;
      note.focus();
    });
  }

  // The relevance line was drawn by the latest finished ranking; while the model is
  // refit in the background (data-lag > 0) ask again, and show what the refit made.
  const ranking = document.getElementById("ranking");
  function refreshRanking(tries) {
    fetch(ranking.dataset.url, { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (data === null) return;
        if (data.ranking && data.ranking !== ranking.textContent) {
          ranking.textContent = data.ranking;
        }
        if (data.lag > 0 && tries > 1) {
          setTimeout(function () { refreshRanking(tries - 1); }, 400);
        }
      })
      .catch(function () { /* the line keeps what it said */ });
  }
  if (ranking && ranking.dataset.url && ranking.dataset.lag !== "0") {
    setTimeout(function () { refreshRanking(50); }, 300);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingIn(event.target)) {
      if (event.key === "Escape") {
        event.target.blur();
        event.preventDefault();
      }
      return;
    }
    if (document.body.classList.contains("saving")) {
      event.preventDefault();
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (picking) {
      event.preventDefault();
      if (key === "Escape" || key === "q" || key === "e") {
        setPicking(false);
        return;
      }
      press('#reasons [data-pick="' + CSS.escape(key) + '"]');
      return;
    }
    if (key.length !== 1) return;
    if (press('[data-key="' + CSS.escape(key) + '"]')) event.preventDefault();
  });
})();
