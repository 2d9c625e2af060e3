// Expand long abstracts; send feedback and author answers without reloading the page.
// Every form still works without JavaScript (it posts and redirects back).
document.addEventListener("DOMContentLoaded", () => {
  // Stored times are written in UTC (and say so); the reader sees their own clock's time.
  const two = (n) => String(n).padStart(2, "0");
  for (const time of document.querySelectorAll("time[data-local]")) {
    const moment = new Date(time.dateTime);
    if (Number.isNaN(moment.getTime())) continue;
    time.title = time.textContent;
    time.textContent = `${moment.getFullYear()}-${two(moment.getMonth() + 1)}-${two(moment.getDate())} ` +
      `${two(moment.getHours())}:${two(moment.getMinutes())}`;
  }
  for (const card of document.querySelectorAll(".card")) {
    const abstract = card.querySelector(".abstract.clamp");
    const button = card.querySelector("button.more");
    if (!abstract || !button) continue;
    if (abstract.scrollHeight <= abstract.clientHeight + 2) continue;  // short enough already
    button.hidden = false;
    button.addEventListener("click", () => {
      const open = abstract.classList.toggle("expanded");
      button.textContent = open ? button.dataset.less : button.dataset.more;
      button.setAttribute("aria-expanded", String(open));
    });
  }
});

// A table, settings dump or formula wider than the screen scrolls inside itself: it takes the
// keyboard's focus then (tabindex), so it can be scrolled without a mouse (WCAG 2.1.1).
function focusScrollers() {
  for (const box of document.querySelectorAll("table, pre, .tex")) {
    if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
  }
}
document.addEventListener("DOMContentLoaded", focusScrollers);
window.addEventListener("resize", focusScrollers);

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error.message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response.status === 204 ? null : response.json();
}

function showFeedback(card, given) {
  for (const button of card.querySelectorAll("button.fb")) {
    if (button.value !== "undo") button.setAttribute("aria-pressed", String(given.includes(button.value)));
  }
  card.querySelector("button.fb-undo").hidden = given.length === 0;
  card.classList.toggle("dismissed", given.includes("dismiss") || given.includes("less"));
  card.dataset.feedback = given.join(" ");
}

function showError(form, message) {
  let note = form.querySelector(".note");
  if (!note) {
    note = document.createElement("span");
    note.className = "note";
    note.setAttribute("role", "alert");
    form.append(note);
  }
  note.textContent = message;
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  const button = event.submitter;
  if (!button || !(form.matches("form.actions") || form.matches("form.ask"))) return;
  event.preventDefault();
  const card = form.closest(".card");
  const paper = form.elements.paper.value;
  try {
    if (form.matches("form.ask")) {
      await postJSON("/api/v1/authors/decision", {paper, author: form.elements.author.value, same: button.value === "yes"});
      form.replaceWith(Object.assign(document.createElement("span"), {className: "answered", textContent: "✓"}));
      return;
    }
    const action = button.value;
    let result;
    if (action === "undo") {
      result = await postJSON("/api/v1/feedback/undo", {paper});
    } else if (button.getAttribute("aria-pressed") === "true") {  // pressing again takes it back
      result = await postJSON("/api/v1/feedback/undo", {paper, action});
    } else {
      result = await postJSON("/api/v1/feedback", {paper, action});
    }
    showFeedback(card, result.feedback);
  } catch (error) {
    // fetch rejects with a TypeError when no answer came (offline, server down): Chromium's "Failed
    // to fetch" in English on every page; say it in the page's language.
    showError(form, error instanceof TypeError ? document.body.dataset.offline : error.message);
  }
});

// Briefings: stream the sections in as they are written (Server-Sent Events), then open the kept
// briefing. Section HTML comes from the server, where every source string was escaped.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("brief-form");
  const live = document.getElementById("brief-live");
  if (!form || !live || !window.EventSource) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const params = new URLSearchParams({period: data.get("period"), lang: data.get("lang")});
    if (data.get("llm")) params.set("llm", "true");
    const stream = live.querySelector(".brief-stream");
    const progress = live.querySelector(".brief-progress");
    stream.replaceChildren();
    live.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    const source = new EventSource("/api/v1/briefings/stream?" + params.toString());
    const stop = (message) => {  // the stream ended without its briefing: say so, allow another try
      source.close();
      progress.textContent = message;
      progress.classList.add("error");
      form.querySelector("button[type=submit]").disabled = false;
    };
    source.addEventListener("section", (message) => {
      const section = JSON.parse(message.data);
      const block = document.createElement("section");
      block.className = "brief-section streamed " + section.group;
      const heading = document.createElement("h3");
      heading.textContent = section.title;
      const body = document.createElement("p");
      body.innerHTML = section.html;
      block.append(heading, body);
      stream.append(block);
    });
    source.addEventListener("note", (message) => {
      const note = document.createElement("p");
      note.className = "brief-note";
      note.textContent = JSON.parse(message.data).text;
      stream.prepend(note);
    });
    source.addEventListener("done", (message) => {
      source.close();
      window.location.assign(JSON.parse(message.data).url);
    });
    source.addEventListener("failed", (message) => stop(JSON.parse(message.data).message));
    // Left to itself, EventSource reconnects to a stream that ended without "done" (a proxy's
    // timeout, a restart), which writes the briefing again from the start under the first one.
    source.onerror = () => stop(live.dataset.lost);
  });
});

// A form posted twice (a double click on a slow answer) did its work twice: a second batch, or
// "the name is taken" right after a sign-up that had worked. Once a POST form is on its way, its
// further submits are dropped until the page is shown again (or 10 s pass: the answer never came).
// Registered last: forms that other handlers send themselves (feedback, briefings) are not touched.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post") return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  form.setAttribute("aria-busy", "true");
  setTimeout(() => release(form), 10000);
});

function release(form) {
  delete form.dataset.sending;
  form.removeAttribute("aria-busy");
}

// Back to a page kept in the browser's memory: its forms can be sent again.
window.addEventListener("pageshow", () => document.querySelectorAll("form[data-sending]").forEach(release));
