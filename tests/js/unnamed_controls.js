// Controls a screen reader would announce without a name: a button or link with no text, label
// or aria-label, a form field that no label, aria-label or title names.
() => {
  const problems = [];
  for (const el of document.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea")) {
    if (!el.offsetParent) continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest("label");
    const named = el.getAttribute("aria-label") || el.getAttribute("title") || labelled;
    const field = ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && el.type !== "submit" && el.type !== "button";
    const text = (el.innerText || el.value || "").trim();
    if (field ? !named : !(named || text)) problems.push(el.outerHTML.slice(0, 100));
  }
  return problems;
}
