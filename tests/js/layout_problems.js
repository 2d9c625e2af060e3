// What a reader at this screen size would stumble on: the page scrolling sideways, a text box
// that cuts its own placeholder, a label (button, nav word, chip) broken inside a word.
() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) problems.push(`page ${doc.scrollWidth}px wide in ${window.innerWidth}px`);
  const canvas = document.createElement("canvas").getContext("2d");
  for (const input of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
    if (!input.offsetParent) continue;
    const style = getComputedStyle(input);
    canvas.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const need = canvas.measureText(input.placeholder).width;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (need > room + 1) problems.push(`placeholder "${input.placeholder}" needs ${Math.ceil(need)}px, has ${Math.floor(room)}px`);
  }
  // A line break between two characters that are not separated by a space (or a hyphen, slash,
  // middle dot) breaks a word: in Chinese every character counts, so 添|加 on two lines fails.
  const labels = "button, nav a, nav strong, .lang a, .chip, .periods a, .reason, .atype, .label, .badge";
  for (const el of document.querySelectorAll(labels)) {
    if (!el.offsetParent) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node, lastTop = null, lastChar = "", broken = false;
    while ((node = walker.nextNode()) && !broken) {
      const text = node.textContent;
      for (let i = 0; i < text.length; i++) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect || /\s/.test(text[i])) { lastChar = text[i]; continue; }
        if (lastTop !== null && rect.top > lastTop + 2 && lastChar && !/[\s\-\/·]/.test(lastChar)) {
          problems.push(`"${el.textContent.trim().slice(0, 40)}" wraps inside a word at "${lastChar}${text[i]}"`);
          broken = true; break;
        }
        lastTop = rect.top; lastChar = text[i];
      }
    }
  }
  return problems;
}
