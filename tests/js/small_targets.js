// Controls a finger must hit that are smaller than 24 × 24 CSS px (WCAG 2.2, 2.5.8 Target Size,
// minimum): buttons, and links that stand alone as controls (not words in running text).
() => {
  const controls = "button, select, input:not([type=hidden]), .periods a, .similar-link, header nav a, .lang a";
  const small = [];
  for (const el of document.querySelectorAll(controls)) {
    if (!el.offsetParent || el.disabled) continue;  // a disabled control is not a target
    const r = el.getBoundingClientRect();
    if (r.width < 23.5 || r.height < 23.5) {
      small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return [...new Set(small)];
}
