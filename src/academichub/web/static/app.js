// Expand and collapse long abstracts; everything else works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
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
